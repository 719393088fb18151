package dev.preflight.coordinator.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.ModelPlan;
import dev.preflight.proto.v1.PlanEvidence;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.MarkdownReport;
import dev.preflight.reports.html.HtmlReport;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DeepSeek-R1 FP8 planned onto two 8x H100 80 GB nodes (TP8 x PP2), its collectives given as the
 * inference phase reports them, and the per-step communication worked out by hand.
 */
class PlanCostTest {
    private static final Policy.TokenBudget BUDGET = new Policy.TokenBudget(0.050, 0.20);
    private static final long DECODE = 7168L * 32 * 2;

    static ModelPlan deepseek() {
        return Planner.plan(ModelCatalog.find("deepseek-r1").orElseThrow(), Precision.FP8,
                new Planner.Cluster(8, 80_000_000_000L, 2, Tier.TIER_UNSPECIFIED, 0, List.of()), Planner.Load.DEFAULT,
                Policy.defaults());
    }

    static LatencyResult row(String label, List<String> nodes, long bytes, double graphMean, double p50, double p99) {
        return LatencyResult.newBuilder().setOp(label.startsWith("pp") ? "send_recv" : "all_reduce").addAllNodes(nodes)
                .setBytes(bytes).setP50Us(p50).setP99Us(p99).setGraphMeanUs(graphMean).setRanks(8).setLabel(label).build();
    }

    static List<LatencyResult> measured(double hopGraphMean, double hopP99) {
        List<LatencyResult> rows = new ArrayList<>();
        rows.add(row("tp all-reduce stage 0 gpu-a", List.of("gpu-a"), DECODE, 20, 22, 30));
        rows.add(row("tp all-reduce stage 1 gpu-b", List.of("gpu-b"), DECODE, 25, 26, 35));
        rows.add(row("pp send/recv stage 0->1 gpu-a~gpu-b", List.of("gpu-a", "gpu-b"), DECODE, hopGraphMean, hopGraphMean, hopP99));
        return rows;
    }

    @Test
    void theStepAddsTwoAllReducesPerLayerOfEachStageAndEveryHop() {
        PlanCost.Assessment outcome = PlanCost.evaluate(deepseek(), "DeepSeek-R1", measured(15, 18), 2, BUDGET);
        PlanEvidence evidence = outcome.evidence();
        // 61 layers over two stages: 31 and 30; two all-reduces per layer; one hop
        assertEquals(2 * 31 * 20 + 2 * 30 * 25 + 15, evidence.getStepUs(), 1e-9);
        assertEquals(evidence.getStepUs() / 32, evidence.getPerOutputTokenUs(), 1e-9);
        assertEquals(3, evidence.getCostsCount());
        assertEquals("tp all-reduce stage 0 gpu-a", evidence.getCosts(0).getMeasurement());
        assertEquals("CUDA-graph mean", evidence.getCosts(0).getStatistic());
        assertEquals(62, evidence.getCosts(0).getPerStep());
        assertTrue(evidence.getWithinBudget());
        assertEquals("DeepSeek-R1 FP8, TP8 x PP2 on gpu-a, gpu-b: fits (52.1 GiB of 74.5 GiB per GPU at 8k context x 32 "
                + "sequences); communication 2.76 ms per token (5.5% of a 50.00 ms budget, 20% allowed); the PP hop "
                + "gpu-a→gpu-b measured 18.0 µs p99", evidence.getSummary());
        assertEquals(Status.PASS, status(outcome, PlanCost.COMMUNICATION_ID));
        assertEquals(Status.PASS, status(outcome, PlanCost.FIT_ID));
    }

    @Test
    void aSlowHopPastTheBudgetIsNotViable() {
        // 10 ms budget: 2.745 ms of all-reduces + a 7.3 ms hop passes, a 7.3 ms hop + 1 µs more does not
        double allReduces = 2 * 31 * 20 + 2 * 30 * 25;
        PlanCost.Assessment inside = PlanCost.evaluate(deepseek(), "DeepSeek-R1", measured(10_000 - allReduces, 9_000), 2, BUDGET);
        assertEquals(Status.PASS, status(inside, PlanCost.COMMUNICATION_ID));
        PlanCost.Assessment over = PlanCost.evaluate(deepseek(), "DeepSeek-R1", measured(10_000 - allReduces + 1, 9_000), 2, BUDGET);
        assertEquals(Status.FAIL, status(over, PlanCost.COMMUNICATION_ID));
        assertFalse(over.evidence().getWithinBudget());
        PreflightReport report = new Scorer(Policy.defaults()).score(PreflightReport.newBuilder().addAllClusterChecks(over.checks())
                .setPlan(deepseek()).setPlanEvidence(over.evidence()).build());
        assertEquals(Verdict.NOT_VIABLE, report.getVerdict());
        assertTrue(report.getReasonsList().stream().anyMatch(r -> r.contains("communication 10.00 ms per token")),
                report.getReasonsList().toString());
    }

    @Test
    void anOverBudgetPlanNamesTheExpertParallelLayoutWhenItsAllToAllsFit() {
        List<LatencyResult> rows = measured(20_000, 25_000);
        long dispatch = PlanCost.dispatchBytes(deepseek(), 16);
        // two sequences per rank x 8 experts x 7168 x 2 bytes, rounded to split over 16 ranks
        assertEquals(2L * 8 * 7168 * 2, dispatch);
        rows.add(row("ep all-to-all gpu-a~gpu-b", List.of("gpu-a", "gpu-b"), dispatch, 30, 32, 40));
        PlanCost.Assessment outcome = PlanCost.evaluate(deepseek(), "DeepSeek-R1", rows, 2, BUDGET);
        assertEquals(Status.FAIL, status(outcome, PlanCost.COMMUNICATION_ID));
        assertEquals(116 * 30, outcome.evidence().getAlternativeStepUs(), 1e-9);
        assertEquals("TP16 x EP16 (DP attention) would fit: its all-to-alls measured 3.48 ms per step",
                outcome.evidence().getSuggestion());
    }

    @Test
    void aPlanNeedingMoreNodesThanBenchedDoesNotFit() {
        PlanCost.Assessment outcome = PlanCost.evaluate(deepseek(), "DeepSeek-R1", measured(15, 18), 1, BUDGET);
        assertEquals(Status.FAIL, status(outcome, PlanCost.FIT_ID));
        assertTrue(summary(outcome, PlanCost.FIT_ID).contains("needs 2 nodes, this run benched 1"), outcome.checks().toString());
    }

    @Test
    void aPlanThatDoesNotFitItsGpusIsNotViableAndSaysWhatWould() {
        ModelPlan tooBig = deepseek().toBuilder().setTotalBytesPerGpu(75 * 1_000_000_000L).build();
        PlanCost.Assessment outcome = PlanCost.evaluate(tooBig, "DeepSeek-R1", measured(15, 18), 2, BUDGET);
        assertEquals(Status.FAIL, status(outcome, PlanCost.FIT_ID));
        assertTrue(summary(outcome, PlanCost.FIT_ID).contains("TP16 x EP16 (DP attention) on 2 nodes would fit"),
                summary(outcome, PlanCost.FIT_ID));
    }

    @Test
    void aPhaseThatMeasuredNothingSkipsTheCommunicationCheck() {
        PlanCost.Assessment outcome = PlanCost.evaluate(deepseek(), "DeepSeek-R1", measured(15, 18).subList(0, 1), 2, BUDGET);
        assertEquals(Status.SKIP, status(outcome, PlanCost.COMMUNICATION_ID));
        assertTrue(summary(outcome, PlanCost.COMMUNICATION_ID).contains("measured 1 of 2 TP stage(s) and 0 of 1 PP hop(s)"));
    }

    @Test
    void theReportsShowThePlanItsCostsAndTheirMeasurements() {
        PlanCost.Assessment outcome = PlanCost.evaluate(deepseek(), "DeepSeek-R1", measured(15, 18), 2, BUDGET);
        PreflightReport report = new Scorer(Policy.defaults()).score(PreflightReport.newBuilder().addAllClusterChecks(outcome.checks())
                .setPlan(deepseek()).setPlanEvidence(outcome.evidence()).build());
        String md = MarkdownReport.render(report);
        assertTrue(md.contains("### Plan on this cluster"), md);
        assertTrue(md.contains("| tp_all_reduce | gpu-a | 448 KiB | 20.0 µs (CUDA-graph mean, p99 30.0 µs) | 62 | 1.24 ms | "
                + "tp all-reduce stage 0 gpu-a |"), md);
        assertTrue(md.contains("| TP16 x EP16 (DP attention) | 2 | yes |"), md);
        String html = HtmlReport.render(report);
        assertTrue(html.contains("<p id=\"plan-verdict\" class=\"s-PASS\">DeepSeek-R1 FP8, TP8 x PP2 on gpu-a, gpu-b: fits"), html);
        assertTrue(html.contains("<td>pp send/recv stage 0-&gt;1 gpu-a~gpu-b</td>"), html);
        assertTrue(html.contains(ByteSizes.formatDecimal(deepseek().getKvBytesPerGpu()) + " KV cache"), html);
    }

    private static Status status(PlanCost.Assessment outcome, String id) {
        return outcome.checks().stream().filter(c -> c.getId().equals(id)).map(CheckResult::getStatus).findFirst().orElseThrow();
    }

    private static String summary(PlanCost.Assessment outcome, String id) {
        return outcome.checks().stream().filter(c -> c.getId().equals(id)).map(CheckResult::getSummary).findFirst().orElseThrow();
    }
}
