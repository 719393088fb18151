package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.reports.JsonReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench phases on the network-namespace test bed: four agents in their own namespaces, two
 * fake GPUs each, the fake NCCL's ranks talking TCP across the bridge; node 3's link shaped to
 * 200 Mbit/s. Node 4's ranks hang whenever the test creates the fault file (the fake's
 * FAKE_NCCL_FAULT_HANG with FAKE_NCCL_FAULT_ONLY_IF): its rank 7 exists only in the all-node
 * communicator. The last test kills node 2's agent. Assertions compare nodes with each other,
 * never against absolute figures (two shared cores are noisy).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiNodeTestbedIT {
    @TempDir
    static Path work;

    private static Testbed bed;
    private static final List<Process> agents = new ArrayList<>();

    @BeforeAll
    static void up() throws Exception {
        String why = Testbed.unavailableReason();
        assumeTrue(why == null, why);
        bed = Testbed.up("mb" + (ProcessHandle.current().pid() % 10000), 4, work, "3=200mbit");
        for (int node = 1; node <= 4; node++) {
            agents.add(bed.startFakeGpuAgent(node, node == 4
                    ? Map.of("FAKE_NCCL_FAULT_HANG", "7", "FAKE_NCCL_FAULT_ONLY_IF", hangSwitch().toString()) : Map.of()));
        }
    }

    @AfterAll
    static void down() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    private static Path hangSwitch() {
        return work.resolve("hang-switch");
    }

    private static PreflightReport run(Path out, Testbed.Result result) throws Exception {
        Path file = out.resolve(JsonReport.FILE_NAME);
        assertTrue(Files.exists(file), result.output());
        return JsonReport.read(file);
    }

    @Test
    @Order(1)
    void theShapedNodeIsNamedByThePairwiseMatrixAndItsRails() throws Exception {
        // the test bed's healthy links vary by 2x or more within a run on two shared cores, against a
        // few percent on a real fabric, which widens the MAD of four nodes: a looser rule, as the policy allows
        Path policy = work.resolve("testbed-policy.yaml");
        Files.writeString(policy, "outliers:\n  madZ: 1.0\n");
        Path out = work.resolve("shaped");
        Testbed.Result result = bed.coordinator(240, "run", "--agents", bed.agents(), "--profile", "full",
                "--phases", "rails,pairwise", "--max-bytes", "512K", "--iters", "10", "--checks", "host.shm",
                "--policy", policy.toString(), "--out", out.toString());
        PreflightReport report = run(out, result);
        assertEquals(6, report.getMeasurements().getPairwise().getPairsCount(), result.output());
        // both rails at once across the four nodes, then both rails' ring pairs two by two
        assertTrue(result.output().contains("rails: round 1/3: 2 communicators at once"), result.output());
        assertTrue(result.output().contains("rails: round 2/3: 4 communicators at once"), result.output());

        // every pair with node-3 is slower than every pair without it
        double slowestHealthy = Double.MAX_VALUE;
        double fastestShaped = 0;
        for (PairResult pair : report.getMeasurements().getPairwise().getPairsList()) {
            boolean shaped = pair.getA().equals("node-3") || pair.getB().equals("node-3");
            if (shaped) {
                fastestShaped = Math.max(fastestShaped, pair.getBusbwBytesPerSecond());
            } else {
                slowestHealthy = Math.min(slowestHealthy, pair.getBusbwBytesPerSecond());
            }
        }
        assertTrue(fastestShaped < slowestHealthy, report.getMeasurements().getPairwise().toString());

        // so is every rail measured between node-3 and a neighbour, on every rail
        slowestHealthy = Double.MAX_VALUE;
        fastestShaped = 0;
        // a repeated pair keeps both attempts' series (the worse is judged): count each pair once
        Set<String> railPairs = new HashSet<>();
        for (Sweep series : report.getMeasurements().getSeriesList()) {
            if (series.getKind() != Sweep.Kind.RAIL || series.getNodesCount() != 2) {
                continue;
            }
            railPairs.add(series.getRail() + " " + series.getNodesList());
            double busbw = series.getPoints(series.getPointsCount() - 1).getBusbwBytesPerSecond();
            if (series.getNodesList().contains("node-3")) {
                fastestShaped = Math.max(fastestShaped, busbw);
            } else {
                slowestHealthy = Math.min(slowestHealthy, busbw);
            }
        }
        assertEquals(8, railPairs.size(), "two rails, four ring pairs each: " + railPairs);
        assertTrue(fastestShaped < slowestHealthy, report.getMeasurements().getSeriesList().toString());

        for (NodeReport node : report.getNodesList()) {
            List<String> named = new ArrayList<>();
            for (CheckResult check : node.getChecksList()) {
                if ((check.getId().equals("nccl.pairwise") || check.getId().equals("nccl.rail"))
                        && check.getStatus() == CheckResult.Status.WARN) {
                    named.add(check.getId());
                }
            }
            String context = node.getChecksList() + "\n" + report.getMeasurements().getPairwise();
            if (node.getNodeName().equals("node-3")) {
                assertTrue(named.contains("nccl.pairwise") && named.contains("nccl.rail"), context);
            } else {
                assertTrue(named.isEmpty(), node.getNodeName() + " named: " + context);
            }
        }
    }

    @Test
    @Order(2)
    void aHungRankTimesOutItsCollectiveTheRunCompletesAndTheNextRunPasses() throws Exception {
        Files.writeString(hangSwitch(), "");
        Path out = work.resolve("hang");
        Testbed.Result hung;
        try {
            hung = bed.coordinator(180, "run", "--agents", bed.agents(), "--phases", "all_nodes", "--max-bytes", "64K",
                    "--iters", "3", "--collective-timeout", "5s", "--checks", "host.shm", "--out", out.toString());
        } finally {
            Files.delete(hangSwitch());
        }
        assertEquals(1, hung.exitCode(), hung.output());
        PreflightReport report = run(out, hung);
        for (RunPhase phase : report.getPhasesList()) {
            assertEquals(RunPhase.Outcome.COMPLETED, phase.getOutcome(), phase.toString());
        }
        List<Integer> attempts = new ArrayList<>();
        for (CollectiveResults results : report.getCollectivesList()) {
            if (results.getPhase().equals("all_nodes")) {
                assertEquals(CollectiveResult.Outcome.TIMEOUT, results.getResults(0).getOutcome(), results.toString());
                assertFalse(results.getWorkers(0).getNcclLog().isEmpty(), "a failed communicator keeps its logs");
                attempts.add(results.getAttempt());
            }
        }
        assertEquals(List.of(1, 2), attempts, "measured, then repeated once");
        CheckResult timeout = report.getClusterChecksList().stream().filter(c -> c.getId().equals("nccl.collective"))
                .findFirst().orElseThrow(() -> new AssertionError(report.getClusterChecksList().toString()));
        assertEquals(CheckResult.Status.FAIL, timeout.getStatus());
        assertTrue(timeout.getSummary().contains("TIMEOUT") && timeout.getSummary().endsWith("(also on its repeat)"),
                timeout.getSummary());

        Path again = work.resolve("again");
        Testbed.Result passed = bed.coordinator(180, "run", "--agents", bed.agents(), "--phases", "all_nodes",
                "--max-bytes", "64K", "--iters", "3", "--collective-timeout", "5s", "--checks", "host.shm",
                "--out", again.toString());
        assertEquals(0, passed.exitCode(), passed.output());
        assertTrue(run(again, passed).getMeasurements().getSeriesList().stream()
                .anyMatch(s -> s.getKind() == Sweep.Kind.ALL_NODES && s.getRanks() == 8));
    }

    @Test
    @Order(3)
    void anAgentKilledMidRunIsNamedLostAndTheOthersResultsAreKept() throws Exception {
        Path out = work.resolve("killed");
        AtomicBoolean killed = new AtomicBoolean();
        Testbed.Result result = bed.coordinator(240, line -> {
            if (line.contains("phase rails") && killed.compareAndSet(false, true)) {
                agents.get(1).destroyForcibly();
            }
        }, "run", "--agents", bed.agents(), "--profile", "full", "--phases", "intra_node,all_nodes,rails,pairwise",
                "--max-bytes", "256K", "--iters", "5", "--checks", "host.shm", "--out", out.toString());
        assertTrue(killed.get(), result.output());
        assertEquals(4, result.exitCode(), "incomplete, nothing failed: " + result.output());
        PreflightReport report = run(out, result);
        NodeReport lost = report.getNodes(1);
        assertEquals("node-2", lost.getNodeName());
        assertEquals(NodeReport.Reachability.LOST, lost.getReachability(), result.output());
        assertTrue(lost.getError().startsWith("lost "), lost.getError());
        // what every node measured before the kill stays, node-2's intra-node bench among it
        long intra = report.getMeasurements().getSeriesList().stream()
                .filter(s -> s.getKind() == Sweep.Kind.INTRA_NODE).count();
        assertEquals(4, intra);
        assertTrue(report.getMeasurements().getSeriesList().stream().anyMatch(s -> s.getKind() == Sweep.Kind.ALL_NODES));
        // the pairs after it leave node-2 out
        for (PairResult pair : report.getMeasurements().getPairwise().getPairsList()) {
            assertFalse(pair.getA().equals("node-2") || pair.getB().equals("node-2"), pair.toString());
        }
        assertEquals(3, report.getMeasurements().getPairwise().getPairsCount());
        assertTrue(report.getReasonsList().stream().anyMatch(r -> r.startsWith("node node-2 lost")),
                report.getReasonsList().toString());
    }
}
