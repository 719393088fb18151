package dev.preflight.coordinator.collective;

import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * What the bench phases measured, as each communicator ends: its results and its series into the
 * report, the nodes it lost, the slowest rates so far (which later deadlines and predictions are
 * derived from), and a check for each communicator that did not complete.
 */
final class BenchRecorder {
    /** Below this size a bus bandwidth measures latency, which says nothing of a link's rate. */
    static final long BANDWIDTH_BOUND_BYTES = 64 * 1024;

    private final BenchSettings settings;
    private final Consumer<String> lines;
    private final BenchResults results = new BenchResults();
    private final List<CommRun> log = Collections.synchronizedList(new ArrayList<>());
    /** By label: the attempt of a repeated communicator that the phase's list does not keep. */
    private final Map<String, CommRun> otherAttempts = new LinkedHashMap<>();
    /** The slowest bus bandwidth measured so far between nodes and inside one: what deadlines are derived from. */
    private double slowestAcross = Estimate.nominalRate(true);
    private double slowestInside = Estimate.nominalRate(false);
    private final Set<String> memoryNotes = ConcurrentHashMap.newKeySet();

    /** @param lines progress lines that stay (failures, lost nodes) */
    BenchRecorder(BenchSettings settings, Consumer<String> lines) {
        this.settings = settings;
        this.lines = lines;
    }

    BenchResults results() {
        return results;
    }

    /** A communicator that ended: its results, its rate where it measured a link's, and the nodes it lost. */
    void record(CommRun outcome) {
        results.addCollective(outcome);
        log.add(outcome);
        OptionalDouble busbw = outcome.busbw();
        if (busbw.isPresent() && busbw.getAsDouble() > 0 && outcome.comm().spec().getMaxBytes() >= BANDWIDTH_BOUND_BYTES) {
            synchronized (this) {
                if (outcome.comm().members().size() > 1) {
                    slowestAcross = Math.min(slowestAcross, busbw.getAsDouble());
                } else if (outcome.comm().layout().nranks() > 1) {
                    slowestInside = Math.min(slowestInside, busbw.getAsDouble());
                }
            }
        }
        outcome.lost().forEach((node, why) -> {
            if (!results.isLost(node)) {
                results.lost(node, why);
                lines.accept("node " + node + " lost: " + why);
            }
        });
        if (!outcome.ok()) {
            lines.accept(outcome.comm().phase() + ": " + outcome.comm().label() + (outcome.comm().attempt() > 1
                    ? " (repeat)" : "") + ": " + outcome.problem());
        }
    }

    /** Every attempt of every communicator of a phase so far, repeats included, in the order they ended. */
    List<CommRun> outcomes(String phase) {
        synchronized (log) {
            return log.stream().filter(o -> o.comm().phase().equals(phase)).toList();
        }
    }

    /**
     * The slowest bus bandwidth measured so far between nodes, or inside one: what the remaining
     * phases' prediction is revised with. The nominal rate until something was measured.
     */
    synchronized double slowestRate(boolean acrossNodes) {
        return acrossNodes ? slowestAcross : slowestInside;
    }

    /** The other attempt of a repeated communicator, whose series {@link #addSeries} records beside the kept one. */
    synchronized void keepOtherAttempt(CommRun outcome) {
        otherAttempts.put(outcome.comm().label(), outcome);
    }

    /**
     * A communicator's sizes cut to what its GPUs hold, said once per phase and cut: as a progress
     * line and a PASS nccl.bench result in the report.
     */
    void memoryCut(BenchNodes.MemoryCut cut) {
        String phase = cut.comm().phase();
        if (memoryNotes.add(phase + " " + cut.note())) {
            lines.accept(phase + ": " + cut.note());
            results.addClusterCheck(CheckResult.newBuilder().setId(BenchContext.BENCH_ID).setScope(Scope.HOST)
                    .setStatus(CheckResult.Status.PASS).setSubject(phase)
                    .setSummary("the " + phase + " benches ran with " + cut.note())
                    .setObserved(ByteSizes.format(cut.smallestFreeBytes()) + " free on the smallest GPU")
                    .setExpected("the profile's sizes fit the GPUs' free memory")
                    .build());
        }
    }

    /** A single node's communicator reports on that node, others on the cluster. */
    void addCheck(Communicator comm, CheckResult check) {
        if (comm.members().size() == 1) {
            results.addNodeCheck(comm.members().get(0).node().name(), check);
        } else {
            results.addClusterCheck(check);
        }
    }

    /**
     * A result for every communicator that did not complete: FAIL for a hang or wrong data among
     * live nodes (after its repeat), ERROR where a node was lost or the bench itself failed.
     */
    void reportFailures(List<CommRun> outcomes) {
        for (CommRun outcome : outcomes) {
            CollectiveResult failure = outcome.firstFailure();
            if (failure == null) {
                continue;
            }
            List<String> lostMembers = outcome.comm().nodeNames().stream().filter(results::isLost).toList();
            CheckResult.Status status;
            String remediation;
            if (!lostMembers.isEmpty()) {
                status = CheckResult.Status.ERROR;
                remediation = "bring " + String.join(", ", lostMembers) + " back (agent, node) and rerun";
            } else if (failure.getOutcome() == CollectiveResult.Outcome.TIMEOUT) {
                status = CheckResult.Status.FAIL;
                remediation = "find the hung rank's GPU or link (its NCCL log is in the report's collectives) and check "
                        + "the firewalls between the nodes' bootstrap interfaces";
            } else if (failure.getOutcome() == CollectiveResult.Outcome.WRONG_RESULTS) {
                status = CheckResult.Status.FAIL;
                remediation = "run GPU memory and NVLink diagnostics (dcgmi diag -r 3) on these nodes and check their NICs' "
                        + "error counters; corrupt collectives must not serve a model";
            } else {
                status = CheckResult.Status.ERROR;
                remediation = "read the failing call's error and the workers' NCCL logs in the report's collectives";
            }
            String lostText = lostMembers.isEmpty() ? "" : " (node " + String.join(", ", lostMembers) + " lost)";
            addCheck(outcome.comm(), CheckResult.newBuilder().setId(BenchContext.COLLECTIVE_ID).setScope(Scope.HOST)
                    .setStatus(status)
                    .setSubject(outcome.comm().phase() + " " + outcome.comm().label())
                    .setSummary(outcome.comm().label() + ": " + outcome.problem() + lostText
                            + (outcome.comm().attempt() > 1 ? " (also on its repeat)" : ""))
                    .setObserved(failure.getOutcome().name().toLowerCase(Locale.ROOT))
                    .setExpected("every size completes before the deadline with 0 wrong elements")
                    .setRemediation(remediation)
                    .build());
        }
    }

    /** The series of every completed result of these outcomes, and of the other attempt of those repeated. */
    void addSeries(List<CommRun> outcomes) {
        List<CommRun> all = new ArrayList<>();
        for (CommRun outcome : outcomes) {
            CommRun other;
            synchronized (this) {
                other = otherAttempts.get(outcome.comm().label());
            }
            if (other != null) {
                all.add(other);
            }
            all.add(outcome);
        }
        for (CommRun outcome : all) {
            Communicator comm = outcome.comm();
            boolean acrossNodes = comm.members().size() > 1;
            String transport = outcome.transports().isEmpty() ? ""
                    : Sweeps.transport(outcome.results().getTransport(), acrossNodes);
            for (CollectiveResult result : outcome.results().getResultsList()) {
                if (result.getRowsCount() > 0) {
                    results.addSeries(Sweeps.of(result, comm.kind(), comm.nodeNames(), comm.rail(), gpuModel(comm),
                            transport, result.getNcclTestsCommand()).toBuilder()
                            .setNcclAlgo(CommunicatorRunner.algorithm(comm, settings.ncclSettings()))
                            .setAttempt(comm.attempt())
                            .build());
                }
            }
        }
    }

    /** The communicator's GPU product when every member has the same one, else empty. */
    static String gpuModel(Communicator comm) {
        String model = comm.members().get(0).node().gpuModel();
        for (Member member : comm.members()) {
            if (!member.node().gpuModel().equals(model)) {
                return "";
            }
        }
        return model;
    }
}
