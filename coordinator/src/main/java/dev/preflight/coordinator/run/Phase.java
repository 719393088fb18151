package dev.preflight.coordinator.run;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The phases of a preflight run, in the order they run; --phases selects among them. */
public enum Phase {
    /** Connect, node info, fingerprints and the node checks on every node. */
    CHECKS,
    /** Fingerprints diffed across nodes, identities, clocks. */
    CONSISTENCY,
    /** NCCL all-reduce among each node's own GPUs, every node at once. */
    INTRA_NODE(true),
    /** NCCL collectives over every GPU of every node, ranks node-major. */
    ALL_NODES(true),
    /** One communicator per local GPU index (GPU k of every node), then the same rail between node pairs. */
    RAILS(true),
    /**
     * When an all-node or rail collective failed or ran slow: bisection of its nodes in concurrent
     * rounds until the node, rail or link is named and confirmed.
     */
    FAULT_ISOLATION(true),
    /** Send/recv between node pairs in rounds of disjoint pairs: the node-by-node matrix. */
    PAIRWISE(true),
    /** The planned TP x PP layout's traffic: TP all-reduce and pipeline-boundary send/recv latency. */
    INFERENCE(true),
    /** TCP throughput and round trips between nodes, and the rendezvous port. */
    HOSTNET;

    private final boolean bench;

    Phase() {
        this(false);
    }

    Phase(boolean bench) {
        this.bench = bench;
    }

    /** Whether the phase runs NCCL on the nodes' GPUs (and so holds every node's bench lock while it runs). */
    public boolean bench() {
        return bench;
    }

    public String flagName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a --phases value such as "checks,hostnet".
     *
     * @throws IllegalArgumentException naming the unknown phase and the known ones
     */
    public static Set<Phase> parse(String value) {
        Set<Phase> phases = EnumSet.noneOf(Phase.class);
        for (String part : value.split(",")) {
            String name = part.strip();
            if (name.isEmpty()) {
                continue;
            }
            try {
                phases.add(valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown phase '" + name + "'; known: " + known());
            }
        }
        if (phases.isEmpty()) {
            throw new IllegalArgumentException("no phase named in '" + value + "'; known: " + known());
        }
        // every other phase needs the nodes the checks phase connects to
        phases.add(CHECKS);
        return phases;
    }

    public static String known() {
        StringBuilder names = new StringBuilder();
        for (Phase phase : values()) {
            names.append(names.length() == 0 ? "" : ", ").append(phase.flagName());
        }
        return names.toString();
    }
}
