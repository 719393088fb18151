package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.util.JsonFormat;
import dev.preflight.coordinator.plan.ModelCatalog;
import dev.preflight.coordinator.plan.PlanCost;
import dev.preflight.coordinator.plan.Planner;
import dev.preflight.coordinator.plan.Precision;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.ModelPlan;
import dev.preflight.proto.v1.PlanEvidence;
import dev.preflight.proto.v1.PlanEvidence.CollectiveCost;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.JsonReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plan measured on the network-namespace test bed: two agents, two fake GPUs each, the fake
 * NCCL's ranks talking TCP across the bridge. Llama 3.1 8B in FP16 on 16 GB GPUs at 8 sequences
 * needs TP2 x PP2, so the pipeline hop crosses node-1 -> node-2. Shaping node-2's link slows that
 * hop: the per-token cost rises by it and the verdict turns NOT_VIABLE against a budget the
 * unshaped run met. Relative figures only (two shared cores).
 */
class PlanEvidenceTestbedIT {
    @TempDir
    static Path work;

    private static Testbed bed;

    @BeforeAll
    static void up() throws Exception {
        String why = Testbed.unavailableReason();
        assumeTrue(why == null, why);
        bed = Testbed.up("pe" + (ProcessHandle.current().pid() % 10000), 2, work);
        for (int node = 1; node <= 2; node++) {
            bed.startFakeGpuAgent(node, Map.of());
        }
    }

    @AfterAll
    static void down() throws Exception {
        if (bed != null) {
            bed.close();
        }
    }

    @Test
    void aSlowedPipelineLinkRaisesThePerTokenCostAndTurnsTheVerdict() throws Exception {
        ModelPlan plan = Planner.plan(ModelCatalog.find("llama-3.1-8b").orElseThrow(), Precision.FP16,
                new Planner.Cluster(2, 16_000_000_000L, 2, Tier.TIER_UNSPECIFIED, 0, List.of()),
                new Planner.Load(8192, 8, Precision.BF16, 0), Policy.defaults());
        assertEquals(2, plan.getTensorParallel());
        assertEquals(2, plan.getPipelineParallel());
        Path planFile = Files.writeString(work.resolve("plan.json"), JsonFormat.printer().print(plan));

        Path generous = Files.writeString(work.resolve("generous.yaml"),
                "tokenBudget:\n  interTokenLatency: 60000ms\n  communicationShare: 100%\n");
        PlanEvidence healthy = run("healthy", planFile, generous, CheckResult.Status.PASS).getPlanEvidence();
        double healthyHop = hop(healthy).getStepUs();

        // 5 Mbit/s: a 64 KiB hidden-state hop takes about 100 ms once the shaper's burst is spent
        bed.shape(2, "5mbit");
        double budgetMs = Math.ceil((healthy.getStepUs() + 50_000) / 1000);
        Path tight = Files.writeString(work.resolve("tight.yaml"), String.format(Locale.ROOT,
                "tokenBudget:\n  interTokenLatency: %.0fms\n  communicationShare: 100%%\n", budgetMs));
        assertTrue(healthy.getStepUs() < budgetMs * 1000, "the healthy step is within the tight budget too");
        PreflightReport slowed = run("slowed", planFile, tight, CheckResult.Status.FAIL);
        PlanEvidence slow = slowed.getPlanEvidence();

        assertTrue(hop(slow).getStepUs() > healthyHop + 40_000, "hop " + healthyHop + " -> " + hop(slow).getStepUs());
        assertTrue(slow.getStepUs() > healthy.getStepUs() + 40_000, healthy.getStepUs() + " -> " + slow.getStepUs());
        // the figures, for the record of what the test bed measured
        System.out.println("healthy: " + healthy.getSummary() + "\nslowed:  " + slow.getSummary());
        assertEquals(Verdict.NOT_VIABLE, slowed.getVerdict());
        assertTrue(slowed.getReasonsList().stream().anyMatch(r -> r.contains(PlanCost.COMMUNICATION_ID)
                && r.contains("the PP hop node-1→node-2")), slowed.getReasonsList().toString());
    }

    private static PreflightReport run(String name, Path planFile, Path policy, CheckResult.Status expected) throws Exception {
        Path out = work.resolve(name);
        Testbed.Result result = bed.coordinator(300, "run", "--agents", bed.agents(), "--plan", planFile.toString(),
                "--phases", "inference", "--iters", "10", "--connect-timeout", "60s", "--checks", "host.shm", "--policy", policy.toString(),
                "--out", out.toString());
        Path file = out.resolve(JsonReport.FILE_NAME);
        assertTrue(Files.exists(file), result.output());
        PreflightReport report = JsonReport.read(file);
        CheckResult communication = report.getClusterChecksList().stream()
                .filter(c -> c.getId().equals(PlanCost.COMMUNICATION_ID)).findFirst().orElseThrow(() -> new AssertionError(result.output()));
        assertEquals(expected, communication.getStatus(), communication + "\n" + result.output());
        assertEquals(3, report.getPlanEvidence().getCostsCount(), result.output());
        return report;
    }

    private static CollectiveCost hop(PlanEvidence evidence) {
        return evidence.getCostsList().stream().filter(c -> c.getCollective().equals("pp_send_recv")).findFirst().orElseThrow();
    }
}
