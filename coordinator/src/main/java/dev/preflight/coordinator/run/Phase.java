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
    /** TCP throughput and round trips between nodes, and the rendezvous port. */
    HOSTNET;

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
