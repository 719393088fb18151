package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.Measurements.FaultIsolation;
import dev.preflight.proto.v1.Measurements.IterationFinding;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.NodeGpus;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.TransportProof;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the bench phases add to the report: measurements for the scoring policy and the charts,
 * every communicator's raw results, and the checks they raise (per node or for the cluster).
 * Nodes lost while benching are remembered with why, so the report can name them.
 */
public final class BenchResults {
    private final List<Sweep> series = new ArrayList<>();
    private final List<String> pairwiseNodes = new ArrayList<>();
    private final List<PairResult> pairs = new ArrayList<>();
    private final List<LatencyResult> latency = new ArrayList<>();
    private final List<NodeGpus> gpus = new ArrayList<>();
    private final List<IterationFinding> iterationFindings = new ArrayList<>();
    private FaultIsolation faultIsolation;
    private final List<CollectiveResults> collectives = new ArrayList<>();
    private final Map<String, List<CheckResult>> nodeChecks = new LinkedHashMap<>();
    private final List<CheckResult> clusterChecks = new ArrayList<>();
    private final Map<String, String> lost = new LinkedHashMap<>();
    private final Map<String, TransportProof> crossNodeTransport = new LinkedHashMap<>();
    /** What the logs and topologies of communicators that succeeded may add to the report, at most. */
    static final long KEPT_BYTES = 32L << 20;
    private long keptBytes;
    /** Nodes whose worker's log a communicator inside the node, or one across nodes, already keeps. */
    private final Set<String> loggedInside = new HashSet<>();
    private final Set<String> loggedAcross = new HashSet<>();

    synchronized void addSeries(Sweep sweep) {
        series.add(sweep);
    }

    synchronized void pairwiseNodes(List<String> nodes) {
        pairwiseNodes.clear();
        pairwiseNodes.addAll(nodes);
    }

    synchronized void addPair(PairResult pair) {
        pairs.add(pair);
    }

    synchronized void addLatency(LatencyResult result) {
        latency.add(result);
    }

    synchronized void addIterationFinding(IterationFinding finding) {
        iterationFindings.add(finding);
    }

    synchronized void faultIsolation(FaultIsolation section) {
        faultIsolation = section;
    }

    synchronized void addGpus(NodeGpus node) {
        gpus.add(node);
    }

    /**
     * Every attempt of every communicator, tagged with where it belongs. Workers' NCCL logs and
     * topology dumps stay where they say most: wherever something failed (they say why), and for
     * each node's first communicator inside the node and first across nodes, its first worker's
     * (the transports and the topology NCCL chose there), within {@link #KEPT_BYTES}. Every log of
     * every communicator would make a large cluster's report gigabytes.
     */
    synchronized void addCollective(CommRun outcome) {
        CollectiveResults.Builder results = outcome.results().toBuilder()
                .setPhase(outcome.comm().phase())
                .setCommunicator(outcome.comm().label())
                .addAllNodes(outcome.comm().nodeNames())
                .setAttempt(outcome.comm().attempt());
        if (outcome.ok()) {
            Set<String> logged = outcome.comm().members().size() > 1 ? loggedAcross : loggedInside;
            results.clearWorkers();
            for (BenchWorker worker : outcome.results().getWorkersList()) {
                long size = worker.getNcclLog().length() + worker.getNcclTopology().length();
                if (keptBytes + size <= KEPT_BYTES && logged.add(worker.getNode())) {
                    keptBytes += size;
                    results.addWorkers(worker);
                } else {
                    results.addWorkers(worker.toBuilder().clearNcclLog().clearNcclTopology());
                }
            }
        }
        collectives.add(results.build());
        if (outcome.comm().members().size() > 1) {
            outcome.transports().forEach(crossNodeTransport::putIfAbsent);
        }
    }

    synchronized void addNodeCheck(String node, CheckResult check) {
        nodeChecks.computeIfAbsent(node, k -> new ArrayList<>()).add(check);
    }

    synchronized void addClusterCheck(CheckResult check) {
        clusterChecks.add(check);
    }

    synchronized void lost(String node, String why) {
        lost.putIfAbsent(node, why);
    }

    public synchronized Map<String, String> lost() {
        return Map.copyOf(lost);
    }

    public synchronized boolean isLost(String node) {
        return lost.containsKey(node);
    }

    /** The transport proof of the first communicator each node shared with another node. */
    public synchronized Map<String, TransportProof> crossNodeTransport() {
        return new LinkedHashMap<>(crossNodeTransport);
    }

    public synchronized Measurements.Builder measurements(Measurements.Builder into) {
        into.addAllSeries(series).addAllLatency(latency).addAllGpus(gpus).addAllIterationFindings(iterationFindings);
        if (faultIsolation != null) {
            into.setFaultIsolation(faultIsolation);
        }
        if (!pairs.isEmpty()) {
            into.setPairwise(Measurements.PairwiseMatrix.newBuilder().addAllNodes(pairwiseNodes).addAllPairs(pairs));
        }
        return into;
    }

    public synchronized List<CollectiveResults> collectives() {
        return List.copyOf(collectives);
    }

    public synchronized Map<String, List<CheckResult>> nodeChecks() {
        Map<String, List<CheckResult>> copy = new LinkedHashMap<>();
        nodeChecks.forEach((node, checks) -> copy.put(node, List.copyOf(checks)));
        return copy;
    }

    public synchronized List<CheckResult> clusterChecks() {
        return List.copyOf(clusterChecks);
    }
}
