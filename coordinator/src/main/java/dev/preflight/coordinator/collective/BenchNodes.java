package dev.preflight.coordinator.collective;

import dev.preflight.agent.bench.BenchMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes the bench phases run on: the reachable candidates with their inventories' GPUs until
 * each node's first bench learns its own, then the nodes that benched, in run order, with the free
 * memory their workers found.
 */
final class BenchNodes implements AutoCloseable {
    /** GPUs per node assumed for the prediction where the inventory found none. */
    static final int ASSUMED_GPUS = 8;

    /** A communicator's sizes cut to fit its GPUs, what the cut says, and the free memory it was cut to. */
    record MemoryCut(Communicator comm, String note, long smallestFreeBytes) {}

    private final List<BenchContext.Candidate> candidates;
    /** The agents that learn each candidate's GPUs with a first bench; none where the nodes are known already. */
    private final Optional<CommunicatorRunner> agents;
    /** Free memory of each node's smallest GPU, as its workers found it when the node first benched. */
    private final Map<String, Long> freeBytes = new ConcurrentHashMap<>();
    /** The nodes that benched; empty until the first bench learnt them. */
    private Optional<List<BenchNode>> benched;

    private BenchNodes(List<BenchContext.Candidate> candidates, Optional<CommunicatorRunner> agents,
            Optional<List<BenchNode>> benched) {
        this.candidates = List.copyOf(candidates);
        this.agents = agents;
        this.benched = benched;
    }

    /** Candidates whose GPUs the agents learn with each node's first bench. */
    static BenchNodes toLearn(List<BenchContext.Candidate> candidates, CommunicatorRunner agents) {
        return new BenchNodes(candidates, Optional.of(agents), Optional.empty());
    }

    /** Nodes whose GPUs are known already: the phases after the first bench. */
    static BenchNodes known(List<BenchNode> nodes) {
        return new BenchNodes(List.of(), Optional.empty(), Optional.of(List.copyOf(nodes)));
    }

    List<BenchContext.Candidate> candidates() {
        return candidates;
    }

    /** @throws IllegalStateException where the nodes were known from the start: no agent is there to learn them */
    CommunicatorRunner agents() {
        return agents.orElseThrow(() -> new IllegalStateException("the nodes' GPUs were given, not learnt from agents"));
    }

    synchronized boolean benched() {
        return benched.isPresent();
    }

    /** The nodes that benched, lost ones included, in run order; none before the first bench. */
    synchronized List<BenchNode> all() {
        return benched.orElse(List.of());
    }

    /**
     * Records the nodes the first bench learnt; a later bench of each node changes nothing.
     *
     * @return whether these are the nodes from now on
     */
    synchronized boolean learnt(List<BenchNode> nodes) {
        if (benched.isPresent()) {
            return false;
        }
        benched = Optional.of(List.copyOf(nodes));
        return true;
    }

    /**
     * The candidates as the prediction sees them before they benched: the inventory's GPU count
     * ({@value #ASSUMED_GPUS} where it found none).
     */
    List<BenchNode> assumed() {
        List<BenchNode> predicted = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            BenchContext.Candidate c = candidates.get(i);
            int gpus = c.inventoryGpus() > 0 ? c.inventoryGpus() : ASSUMED_GPUS;
            List<Integer> devices = new ArrayList<>();
            for (int g = 0; g < gpus; g++) {
                devices.add(g);
            }
            predicted.add(new BenchNode(i, c.name(), c.target(), devices, c.gpuModel(), c.gpuMemoryBytes()));
        }
        return predicted;
    }

    /** The free memory of the node's smallest GPU, as its workers found it on its first bench. */
    void freeBytes(String node, long free) {
        freeBytes.put(node, free);
    }

    /**
     * The communicator with its sizes cut to what the members' GPUs hold (the free memory their
     * workers found, else the inventory's total), so no profile asks a GPU for more than it has and
     * every communicator is refused; empty where the sizes fit or no member's memory is known.
     */
    Optional<MemoryCut> withinMemory(Communicator comm) {
        long free = Long.MAX_VALUE;
        for (Member member : comm.members()) {
            Long known = freeBytes.get(member.node().name());
            long bytes = known != null ? known : member.node().gpuMemoryBytes();
            if (bytes > 0) {
                free = Math.min(free, bytes);
            }
        }
        if (free == Long.MAX_VALUE) {
            return Optional.empty();
        }
        long smallest = free;
        return BenchMemory.clamp(comm.spec(), comm.layout().nranks(), free).map(clamped -> new MemoryCut(
                new Communicator(comm.phase(), comm.label(), comm.kind(), comm.rail(), comm.members(), clamped.spec(),
                        comm.attempt()),
                clamped.note(), smallest));
    }

    @Override
    public void close() {
        agents.ifPresent(CommunicatorRunner::close);
    }
}
