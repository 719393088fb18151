package dev.preflight.reports;

import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.units.Micros;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Interconnect;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.StorageRead;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.LayoutOption;
import dev.preflight.proto.v1.ModelPlan;
import dev.preflight.proto.v1.PlanEvidence;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.ReportArtifact;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Scoring.LinkAssessment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;

/**
 * Markdown for a pull-request comment or a CI job summary: the verdict and its reasons first, the
 * problems next (every result that is not a PASS, with its fix), then the measurements in tables.
 * Passing results are counted, not listed, so the comment stays short on a healthy cluster.
 */
public final class MarkdownReport {
    /**
     * Rows per table: GitHub takes comments up to 65,536 characters and job summaries up to 1 MiB,
     * so a large cluster's tables are cut, saying how many rows the JSON and HTML reports hold.
     */
    static final int MAX_ROWS = 40;

    private MarkdownReport() {}

    public static String render(PreflightReport report) {
        StringBuilder out = new StringBuilder();
        out.append("## preflight: ").append(verdictBadge(report.getVerdict().name())).append("\n\n");
        int reachable = (int) report.getNodesList().stream()
                .filter(n -> n.getReachability() == NodeReport.Reachability.REACHABLE).count();
        out.append("preflight ").append(report.getToolVersion()).append(" · ").append(reachable).append(" of ")
                .append(report.getNodesCount()).append(report.getNodesCount() == 1 ? " node" : " nodes").append(" answered");
        if (!report.getScoring().getPolicySource().isEmpty()) {
            out.append(" · policy: ").append(cell(report.getScoring().getPolicySource()));
        }
        if (report.getScoring().getClusterTier() != Interconnect.Tier.TIER_UNSPECIFIED) {
            out.append(" · inter-node tier: **").append(tier(report.getScoring().getClusterTier())).append("**");
        }
        out.append("\n\n");
        if (!report.getReasonsList().isEmpty()) {
            for (String reason : report.getReasonsList()) {
                out.append("- ").append(inline(reason)).append('\n');
            }
            out.append('\n');
        }
        List<RunPhase> unfinished = report.getPhasesList().stream()
                .filter(p -> p.getOutcome() != RunPhase.Outcome.COMPLETED).toList();
        if (!unfinished.isEmpty()) {
            out.append("**Partial report:** ");
            List<String> parts = new ArrayList<>();
            for (RunPhase phase : unfinished) {
                parts.add(phase.getName() + " " + phase.getOutcome().name().toLowerCase(Locale.ROOT)
                        + (phase.getError().isEmpty() ? "" : " (" + inline(phase.getError()) + ")"));
            }
            out.append(String.join("; ", parts)).append("\n\n");
        }

        List<String[]> problems = new ArrayList<>();
        int passed = 0;
        int total = 0;
        for (CheckResult check : report.getClusterChecksList()) {
            total++;
            passed += addProblem(problems, "cluster", check);
        }
        for (NodeReport node : report.getNodesList()) {
            if (node.getReachability() != NodeReport.Reachability.REACHABLE) {
                problems.add(new String[] {status("ERROR"), cell(Names.node(node)), "`node.reachable`",
                        cell(node.getReachability().name().toLowerCase(Locale.ROOT) + ": " + node.getError()), "", ""});
            }
            for (CheckResult check : node.getChecksList()) {
                total++;
                passed += addProblem(problems, Names.node(node), check);
            }
        }
        out.append("### Checks\n\n").append(passed).append(" of ").append(total).append(" passed.");
        if (!problems.isEmpty()) {
            out.append("\n\n| status | where | check | finding | threshold | fix |\n|---|---|---|---|---|---|\n");
            for (String[] row : problems.subList(0, Math.min(problems.size(), MAX_ROWS))) {
                out.append("| ").append(String.join(" | ", row)).append(" |\n");
            }
            more(out, problems.size());
        } else {
            out.append('\n');
        }

        appendLinks(out, report);
        appendBench(out, report);
        appendLatency(out, report);
        appendStorage(out, report);
        appendPlan(out, report.hasPlan() ? report.getPlan() : null);
        appendPlanEvidence(out, report.hasPlanEvidence() ? report.getPlanEvidence() : null);
        if (!report.getArtifactsList().isEmpty()) {
            out.append("\n### Artifacts\n\n");
            for (ReportArtifact artifact : report.getArtifactsList()) {
                out.append("- `").append(artifact.getPath()).append("`")
                        .append(artifact.getNode().isEmpty() ? "" : " (" + cell(artifact.getNode()) + ")")
                        .append(artifact.getDescription().isEmpty() ? "" : ": " + inline(artifact.getDescription())).append('\n');
            }
        }
        return out.toString();
    }

    private static int addProblem(List<String[]> problems, String where, CheckResult check) {
        if (check.getStatus() == CheckResult.Status.PASS) {
            return 1;
        }
        String finding = check.getSummary();
        if (!check.getNotCounted().isEmpty()) {
            finding += " (not counted: " + check.getNotCounted() + ")";
        }
        problems.add(new String[] {status(check.getStatus().name()), cell(where), "`" + Names.check(check) + "`",
                cell(finding), cell(check.getThreshold().isEmpty() ? check.getExpected() : check.getThreshold()),
                cell(check.getRemediation())});
        return 0;
    }

    private static void appendLinks(StringBuilder out, PreflightReport report) {
        List<LinkAssessment> links = report.getScoring().getLinksList();
        if (links.isEmpty()) {
            return;
        }
        List<LinkAssessment> problems = links.stream()
                .filter(l -> l.getStatus() != dev.preflight.proto.v1.Judgement.Status.PASS).toList();
        out.append("\n### Inter-node links\n\n").append(links.size() - problems.size()).append(" of ").append(links.size())
                .append(" links pass.");
        if (problems.isEmpty()) {
            out.append('\n');
            return;
        }
        out.append("\n\n| node | link | negotiated | measured | floor | class | status |\n|---|---|---|---|---|---|---|\n");
        for (LinkAssessment link : problems.subList(0, Math.min(problems.size(), MAX_ROWS))) {
            out.append("| ").append(cell(link.getNode())).append(" | ").append(cell(link.getLink()))
                    .append(link.getRail() >= 0 ? " (rail " + link.getRail() + ")" : "")
                    .append(" | ").append(Bandwidths.formatBits(link.getNominalBytesPerSecond()))
                    .append(" | ").append(link.getMeasuredBytesPerSecond() > 0 ? Bandwidths.format(link.getMeasuredBytesPerSecond()) : "—")
                    .append(" | ").append(Bandwidths.format(link.getFloorBytesPerSecond()))
                    .append(" | ").append(tier(link.getTier()))
                    .append(" | ").append(status(link.getStatus().name())).append(" |\n");
        }
        more(out, problems.size());
    }

    private static void appendBench(StringBuilder out, PreflightReport report) {
        List<Sweep> series = report.getMeasurements().getSeriesList();
        if (series.isEmpty()) {
            return;
        }
        long min = report.getScoring().getLargeMessageMinBytes();
        out.append("\n### Collectives\n\nBus bandwidth: the best over sizes of at least ").append(ByteSizes.format(min))
                .append(".\n\n| series | GPUs | best bus bandwidth | at size | transport |\n|---|---|---|---|---|\n");
        for (Sweep s : series.subList(0, Math.min(series.size(), MAX_ROWS))) {
            OptionalDouble best = Series.bestBusbw(s, min);
            String size = s.getPointsList().stream().filter(p -> p.getBytes() >= min)
                    .max((a, b) -> Double.compare(a.getBusbwBytesPerSecond(), b.getBusbwBytesPerSecond()))
                    .map(p -> ByteSizes.format(p.getBytes())).orElse("—");
            out.append("| ").append(cell(Series.label(s))).append(" | ").append(s.getRanks())
                    .append(" | ").append(best.isPresent() ? Bandwidths.format(best.getAsDouble()) : "no size that large")
                    .append(" | ").append(size).append(" | ").append(cell(s.getTransport().isEmpty() ? "—" : s.getTransport()))
                    .append(" |\n");
        }
        more(out, series.size());
    }

    private static void appendLatency(StringBuilder out, PreflightReport report) {
        List<LatencyResult> latency = report.getMeasurements().getLatencyList();
        if (latency.isEmpty()) {
            return;
        }
        out.append("\n### Op latency (reported, not scored)\n\n| op | nodes | size | p50 | p99 | samples |\n"
                + "|---|---|---|---|---|---|\n");
        for (LatencyResult l : latency.subList(0, Math.min(latency.size(), MAX_ROWS))) {
            out.append("| ").append(cell(l.getOp())).append(l.getCudaGraphs() ? " (CUDA graphs)" : "").append(" | ")
                    .append(cell(String.join(", ", l.getNodesList()))).append(" | ").append(ByteSizes.format(l.getBytes()))
                    .append(" | ").append(micros(l.getP50Us())).append(" | ").append(micros(l.getP99Us()))
                    .append(" | ").append(l.getSamples()).append(" |\n");
        }
        more(out, latency.size());
    }

    private static void appendStorage(StringBuilder out, PreflightReport report) {
        List<StorageRead> reads = report.getMeasurements().getStorageList();
        if (reads.isEmpty()) {
            return;
        }
        out.append("\n### Model storage\n\n| node | path | read rate | all nodes at once |\n|---|---|---|---|\n");
        for (StorageRead read : reads.subList(0, Math.min(reads.size(), MAX_ROWS))) {
            out.append("| ").append(cell(read.getNode())).append(" | `").append(read.getPath().replace("`", "'"))
                    .append("` | ").append(Bandwidths.format(read.getReadBytesPerSecond())).append(" | ")
                    .append(read.getConcurrent() ? "yes" : "no").append(" |\n");
        }
        more(out, reads.size());
    }

    private static void appendPlan(StringBuilder out, ModelPlan plan) {
        if (plan == null) {
            return;
        }
        out.append("\n### Model plan: ").append(cell(plan.getModel())).append(" at ").append(plan.getPrecision()).append("\n\n");
        out.append("| weights | fits one node | nodes needed | plan | per GPU |\n|---|---|---|---|---|\n");
        out.append("| ").append(ByteSizes.formatDecimal(plan.getWeightBytes())).append(" | ")
                .append(plan.getFitsSingleNode() ? "yes" : "no").append(" | ").append(plan.getNodesNeeded())
                .append(" | TP=").append(plan.getTensorParallel()).append(" × PP=").append(plan.getPipelineParallel())
                .append(" | ").append(ByteSizes.formatDecimal(plan.getWeightBytesPerGpu())).append(" weights")
                .append(plan.getTotalBytesPerGpu() > 0 ? ", " + ByteSizes.formatDecimal(plan.getKvBytesPerGpu()) + " KV cache, "
                        + ByteSizes.formatDecimal(plan.getTotalBytesPerGpu()) + " in all of " + ByteSizes.formatDecimal(plan.getUsableBytesPerGpu())
                        + " usable" : "").append(" |\n");
        if (plan.getLayoutsCount() > 0) {
            out.append("\n| layout | nodes | fits | per GPU | inter-node per step | needs |\n|---|---|---|---|---|---|\n");
            for (LayoutOption layout : plan.getLayoutsList()) {
                out.append("| ").append(cell(layout.getName())).append(layout.getChosen() ? " (chosen)" : "").append(" | ")
                        .append(layout.getNodes()).append(" | ").append(layout.getFits() ? "yes" : "no").append(" | ")
                        .append(ByteSizes.formatDecimal(layout.getTotalBytesPerGpu())).append(" | ")
                        .append(ByteSizes.formatDecimal(layout.getInterNodeBytesPerStep())).append(" | ")
                        .append(tier(layout.getRequiredTier())).append(" |\n");
            }
        }
        for (String line : plan.getAssumptionsList()) {
            out.append("\n- assumed: ").append(inline(line));
        }
        for (String note : plan.getNotesList()) {
            out.append("\n- ").append(inline(note));
        }
        if (plan.getNotesCount() + plan.getAssumptionsCount() > 0) {
            out.append('\n');
        }
    }

    /** The plan's communication per decode step, collective by collective, each with the measurement it came from. */
    private static void appendPlanEvidence(StringBuilder out, PlanEvidence evidence) {
        if (evidence == null) {
            return;
        }
        out.append("\n### Plan on this cluster\n\n").append(inline(evidence.getSummary())).append("\n");
        if (!evidence.getSuggestion().isEmpty()) {
            out.append("\n").append(inline(evidence.getSuggestion())).append("\n");
        }
        appendCosts(out, evidence.getLayout(), evidence.getCostsList(), evidence.getStepUs());
        appendCosts(out, evidence.getAlternativeLayout(), evidence.getAlternativeCostsList(), evidence.getAlternativeStepUs());
    }

    private static void appendCosts(StringBuilder out, String layout, List<PlanEvidence.CollectiveCost> costs, double stepUs) {
        if (costs.isEmpty()) {
            return;
        }
        out.append("\n| ").append(cell(layout)).append(": collective | nodes | bytes | op | per step | per step total | measured by |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (PlanEvidence.CollectiveCost cost : costs) {
            out.append("| ").append(cost.getCollective()).append(" | ").append(cell(String.join(", ", cost.getNodesList())))
                    .append(" | ").append(ByteSizes.format(cost.getBytes())).append(" | ").append(micros(cost.getOpUs()))
                    .append(" (").append(cost.getStatistic()).append(", p99 ").append(micros(cost.getP99Us())).append(") | ")
                    .append(cost.getPerStep()).append(" | ").append(micros(cost.getStepUs())).append(" | ")
                    .append(cell(cost.getMeasurement())).append(" |\n");
        }
        out.append("| **step** | | | | | **").append(micros(stepUs)).append("** | |\n");
    }

    private static void more(StringBuilder out, int rows) {
        if (rows > MAX_ROWS) {
            out.append("\n… and ").append(rows - MAX_ROWS).append(" more rows in the JSON and HTML reports.\n");
        }
    }

    static String status(String status) {
        switch (status) {
            case "PASS":
                return "✅ PASS";
            case "WARN":
                return "⚠️ WARN";
            case "FAIL":
                return "❌ FAIL";
            case "ERROR":
                return "💥 ERROR";
            case "SKIP":
                return "⏭️ SKIP";
            default:
                return status;
        }
    }

    private static String verdictBadge(String verdict) {
        switch (verdict) {
            case "VIABLE":
                return "✅ VIABLE";
            case "VIABLE_WITH_WARNINGS":
                return "⚠️ VIABLE_WITH_WARNINGS";
            case "NOT_VIABLE":
                return "❌ NOT_VIABLE";
            default:
                return "❔ " + verdict;
        }
    }

    private static String tier(Interconnect.Tier tier) {
        return tier == Interconnect.Tier.TIER_UNSPECIFIED ? "—" : tier.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    private static String micros(double us) {
        return Micros.format(us);
    }

    /** Text inside a table cell: no line breaks, pipes escaped, HTML-looking text neutralised. */
    static String cell(String text) {
        return inline(text).replace("|", "\\|");
    }

    static String inline(String text) {
        return text.replace("\r", " ").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;");
    }
}
