package dev.preflight.reports.html;

import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.units.Micros;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Interconnect;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.LayoutOption;
import dev.preflight.proto.v1.ModelPlan;
import dev.preflight.proto.v1.PlanEvidence;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.ReportArtifact;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Scoring.LinkAssessment;
import dev.preflight.reports.Names;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One self-contained HTML file: inline CSS and inline SVG, no script, no fetch of anything, so it
 * opens the same from a CI artifact store, an air-gapped laptop or an email attachment. A fleet
 * picture leads (nodes x checks, identical nodes folded together), then the verdict and the
 * findings that decide it; then the charts (each with a clear "no data" state), the checks with
 * their remediation, the links, the plan and the artifacts.
 */
public final class HtmlReport {
    private static final String STYLE = String.join("\n",
            "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#222}",
            "h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}",
            ".verdict{padding:14px 18px;border-radius:6px;margin:12px 0;color:#fff}",
            ".verdict .name{font-size:24px;font-weight:700}.verdict ul{margin:8px 0 0 0;padding-left:20px}",
            ".v-VIABLE{background:#2a8a3e}.v-VIABLE_WITH_WARNINGS{background:#b07800}.v-NOT_VIABLE{background:#b3261e}",
            ".v-INCOMPLETE,.v-VERDICT_UNSPECIFIED{background:#555}",
            ".meta{color:#555;font-size:13px}",
            "table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}",
            "th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f4f4f4}",
            ".s-PASS{color:#2a8a3e;font-weight:600}.s-WARN{color:#b07800;font-weight:600}",
            ".s-FAIL,.s-ERROR{color:#b3261e;font-weight:600}.s-SKIP{color:#666}",
            "tr.not-counted td{opacity:.6}",
            "figure.chart{margin:10px 0 18px}figure.chart figcaption{font-weight:600;margin-bottom:4px}",
            "svg.chart-svg{max-width:100%;height:auto;font-size:11px;background:#fff}",
            "svg .tick{fill:#444}svg .legend{fill:#222}svg .axis-label{fill:#333;font-size:12px}",
            "svg .band-label{fill:#555;font-size:10px}",
            ".no-data{color:#666;font-style:italic;border:1px dashed #bbb;padding:18px;border-radius:4px}",
            "code{font-size:12px}",
            ".grid-scroll{overflow-x:auto}.grid-scroll svg.chart-svg{max-width:none}",
            "ul.findings{font-size:13px;padding-left:20px}ul.findings li{margin:3px 0}");

    private HtmlReport() {}

    public static String render(PreflightReport report) {
        StringBuilder out = new StringBuilder();
        out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>preflight: ").append(report.getVerdict().name()).append("</title>\n")
                .append("<style>\n").append(STYLE).append("\n</style>\n</head>\n<body>\n");
        out.append("<h1>preflight report</h1>\n<p class=\"meta\">preflight ").append(e(report.getToolVersion()));
        if (report.hasStartedAt()) {
            out.append(" · started ").append(Instant.ofEpochSecond(report.getStartedAt().getSeconds()));
        }
        out.append(" · ").append(report.getNodesCount()).append(report.getNodesCount() == 1 ? " node" : " nodes");
        if (!report.getScoring().getPolicySource().isEmpty()) {
            out.append(" · policy: ").append(e(report.getScoring().getPolicySource()));
        }
        if (!report.getCommandLine().isEmpty()) {
            out.append("<br><code>").append(e(report.getCommandLine())).append("</code>");
        }
        out.append("</p>\n");

        FleetOverview.appendGrid(out, report);
        out.append("<section class=\"verdict v-").append(report.getVerdict().name()).append("\" id=\"verdict\">")
                .append("<div class=\"name\">").append(report.getVerdict().name()).append("</div>");
        if (report.getScoring().getClusterTier() != Interconnect.Tier.TIER_UNSPECIFIED) {
            out.append("<div>inter-node tier: ").append(tier(report.getScoring().getClusterTier())).append("</div>");
        }
        if (!report.getReasonsList().isEmpty()) {
            out.append("<ul>");
            for (String reason : report.getReasonsList()) {
                out.append("<li>").append(e(reason)).append("</li>");
            }
            out.append("</ul>");
        }
        out.append("</section>\n");
        FleetOverview.appendFindings(out, report);
        for (RunPhase phase : report.getPhasesList()) {
            if (phase.getOutcome() != RunPhase.Outcome.COMPLETED) {
                out.append("<p class=\"s-WARN\">Partial report: phase ").append(e(phase.getName())).append(' ')
                        .append(phase.getOutcome().name().toLowerCase(Locale.ROOT))
                        .append(phase.getError().isEmpty() ? "" : ": " + e(phase.getError())).append("</p>\n");
            }
        }

        appendCharts(out, report);
        appendChecks(out, report);
        appendLinks(out, report.getScoring().getLinksList());
        if (report.hasPlan()) {
            appendPlan(out, report.getPlan());
        }
        if (report.hasPlanEvidence()) {
            appendPlanEvidence(out, report.getPlanEvidence());
        }
        if (!report.getArtifactsList().isEmpty()) {
            out.append("<h2>Artifacts</h2>\n<ul>\n");
            for (ReportArtifact artifact : report.getArtifactsList()) {
                out.append("<li><code>").append(e(artifact.getPath())).append("</code>")
                        .append(artifact.getNode().isEmpty() ? "" : " (" + e(artifact.getNode()) + ")")
                        .append(artifact.getDescription().isEmpty() ? "" : ": " + e(artifact.getDescription())).append("</li>\n");
            }
            out.append("</ul>\n");
        }
        out.append("</body>\n</html>\n");
        return out.toString();
    }

    private static void appendCharts(StringBuilder out, PreflightReport report) {
        out.append("<h2>Bus bandwidth by message size</h2>\n");
        Map<String, List<Sweep>> groups = new LinkedHashMap<>();
        for (Sweep series : report.getMeasurements().getSeriesList()) {
            if (!Charts.points(series).isEmpty()) {
                groups.computeIfAbsent(series.getOp() + "\u0000" + series.getKind().name(), k -> new ArrayList<>()).add(series);
            }
        }
        if (groups.isEmpty()) {
            noData(out, "busbw", "No collective was benchmarked in this run (bench results appear here when the run includes NCCL benches).");
        }
        for (List<Sweep> group : groups.values()) {
            Sweep first = group.get(0);
            figure(out, "busbw", first.getOp() + " " + Charts.kindLabel(first.getKind()),
                    Charts.busbw(first.getOp(), first.getKind(), group, report.getScoring().getBandsList()));
        }
        out.append("<h2>Node × node send/recv</h2>\n");
        if (report.getMeasurements().getPairwise().getPairsCount() == 0) {
            noData(out, "pairwise", "No pairwise send/recv was measured in this run.");
        } else {
            figure(out, "pairwise", "pairwise bus bandwidth", Charts.pairwise(report.getMeasurements().getPairwise()));
        }
        out.append("<h2>Rails per node</h2>\n");
        if (report.getScoring().getLinksCount() == 0) {
            noData(out, "rails", "No fabric port or rail was assessed in this run.");
        } else {
            figure(out, "rails", "rails", Charts.rails(report.getScoring().getLinksList()));
        }
        out.append("<h2>TP latency (p50/p99, reported, not scored)</h2>\n");
        if (report.getMeasurements().getLatencyCount() == 0) {
            noData(out, "latency", "No op latency was measured in this run.");
        } else {
            figure(out, "latency", "op latency", Charts.latency(report.getMeasurements().getLatencyList()));
        }
    }

    private static void figure(StringBuilder out, String chart, String caption, String svg) {
        out.append("<figure class=\"chart\" data-chart=\"").append(chart).append("\"><figcaption>").append(e(caption))
                .append("</figcaption>\n").append(svg).append("\n</figure>\n");
    }

    private static void noData(StringBuilder out, String chart, String message) {
        out.append("<figure class=\"chart\" data-chart=\"").append(chart).append("\" data-empty=\"true\"><p class=\"no-data\">")
                .append(e(message)).append("</p></figure>\n");
    }

    private static void appendChecks(StringBuilder out, PreflightReport report) {
        out.append("<h2>Checks</h2>\n<table id=\"checks\">\n<thead><tr><th>status</th><th>where</th><th>check</th>"
                + "<th>finding</th><th>observed / expected</th><th>threshold</th><th>remediation</th></tr></thead>\n<tbody>\n");
        for (CheckResult check : report.getClusterChecksList()) {
            row(out, "cluster", check);
        }
        for (NodeReport node : report.getNodesList()) {
            if (node.getReachability() != NodeReport.Reachability.REACHABLE) {
                out.append("<tr><td class=\"s-ERROR\">ERROR</td><td>").append(e(Names.node(node)))
                        .append("</td><td><code>node.reachable</code></td><td>")
                        .append(e(node.getReachability().name().toLowerCase(Locale.ROOT) + ": " + node.getError()))
                        .append("</td><td></td><td></td><td>start the agent on the node, or check the network path to ")
                        .append(e(node.getAddress())).append("</td></tr>\n");
            }
            for (CheckResult check : node.getChecksList()) {
                row(out, Names.node(node), check);
            }
        }
        out.append("</tbody>\n</table>\n");
    }

    private static void row(StringBuilder out, String where, CheckResult check) {
        boolean notCounted = !check.getNotCounted().isEmpty();
        out.append(notCounted ? "<tr class=\"not-counted\">" : "<tr>")
                .append("<td class=\"s-").append(check.getStatus().name()).append("\">").append(check.getStatus().name())
                .append("</td><td>").append(e(where)).append("</td><td><code>").append(e(Names.check(check)))
                .append("</code></td><td>").append(e(check.getSummary()));
        if (notCounted) {
            out.append("<br><em>not counted: ").append(e(check.getNotCounted())).append("</em>");
        }
        out.append("</td><td>");
        if (!check.getObserved().isEmpty()) {
            out.append(e(check.getObserved()));
        }
        if (!check.getExpected().isEmpty()) {
            out.append("<br>expected: ").append(e(check.getExpected()));
        }
        out.append("</td><td>").append(e(check.getThreshold())).append("</td><td>").append(e(check.getRemediation()))
                .append("</td></tr>\n");
    }

    private static void appendLinks(StringBuilder out, List<LinkAssessment> links) {
        if (links.isEmpty()) {
            return;
        }
        out.append("<h2>Inter-node links</h2>\n<table id=\"links\">\n<thead><tr><th>node</th><th>link</th><th>negotiated</th>"
                + "<th>measured</th><th>floor</th><th>class</th><th>status</th></tr></thead>\n<tbody>\n");
        for (LinkAssessment link : links) {
            out.append("<tr><td>").append(e(link.getNode())).append("</td><td>").append(e(link.getLink()))
                    .append(link.getRail() >= 0 ? " (rail " + link.getRail() + ")" : "").append("</td><td>")
                    .append(Bandwidths.formatBits(link.getNominalBytesPerSecond())).append("</td><td>")
                    .append(link.getMeasuredBytesPerSecond() > 0 ? Bandwidths.format(link.getMeasuredBytesPerSecond()) : "—")
                    .append("</td><td>").append(Bandwidths.format(link.getFloorBytesPerSecond())).append("</td><td>")
                    .append(tier(link.getTier())).append("</td><td class=\"s-").append(link.getStatus().name()).append("\">")
                    .append(link.getStatus().name()).append("</td></tr>\n");
        }
        out.append("</tbody>\n</table>\n");
    }

    private static void appendPlan(StringBuilder out, ModelPlan plan) {
        out.append("<h2>Model plan</h2>\n<table id=\"plan\">\n<tbody>\n");
        planRow(out, "model", plan.getModel() + (plan.getMoe() ? " (MoE)" : ""));
        planRow(out, "precision", plan.getPrecision());
        planRow(out, "weights", ByteSizes.formatDecimal(plan.getWeightBytes()));
        planRow(out, "fits one node", plan.getFitsSingleNode() ? "yes" : "no");
        planRow(out, "nodes needed", Integer.toString(plan.getNodesNeeded()));
        planRow(out, "plan", "TP=" + plan.getTensorParallel() + " × PP=" + plan.getPipelineParallel());
        planRow(out, "weights per GPU", ByteSizes.formatDecimal(plan.getWeightBytesPerGpu()));
        if (plan.getTotalBytesPerGpu() > 0) {
            planRow(out, "memory per GPU", ByteSizes.formatDecimal(plan.getWeightBytesPerGpu()) + " weights + "
                    + ByteSizes.formatDecimal(plan.getKvBytesPerGpu()) + " KV cache + "
                    + ByteSizes.formatDecimal(plan.getActivationBytesPerGpu()) + " activations + "
                    + ByteSizes.formatDecimal(plan.getCudaGraphBytesPerGpu()) + " CUDA graphs = "
                    + ByteSizes.formatDecimal(plan.getTotalBytesPerGpu()) + " of " + ByteSizes.formatDecimal(plan.getUsableBytesPerGpu()));
            planRow(out, "serving", plan.getContextTokens() + " tokens x " + plan.getConcurrency() + " sequences, KV in "
                    + plan.getKvPrecision());
        }
        for (LayoutOption layout : plan.getLayoutsList()) {
            planRow(out, layout.getChosen() ? "layout (chosen)" : "layout", layout.getName() + " on " + layout.getNodes()
                    + " node(s): " + (layout.getFits() ? "fits" : "does not fit") + ", "
                    + ByteSizes.formatDecimal(layout.getTotalBytesPerGpu()) + " per GPU, "
                    + ByteSizes.formatDecimal(layout.getInterNodeBytesPerStep()) + " across nodes per step, needs "
                    + tier(layout.getRequiredTier()) + "; " + layout.getDescription());
        }
        if (plan.hasArchitecture()) {
            planRow(out, "source", plan.getArchitecture().getSource());
        }
        for (String assumption : plan.getAssumptionsList()) {
            planRow(out, "assumed", assumption);
        }
        for (String note : plan.getNotesList()) {
            planRow(out, "note", note);
        }
        out.append("</tbody>\n</table>\n");
    }

    /** The plan's communication per decode step, collective by collective, each with the measurement it came from. */
    private static void appendPlanEvidence(StringBuilder out, PlanEvidence evidence) {
        out.append("<h2>Plan on this cluster</h2>\n<p id=\"plan-verdict\" class=\"s-")
                .append(evidence.getFits() && evidence.getWithinBudget() ? "PASS" : "FAIL").append("\">")
                .append(e(evidence.getSummary())).append("</p>\n");
        if (!evidence.getSuggestion().isEmpty()) {
            out.append("<p>").append(e(evidence.getSuggestion())).append("</p>\n");
        }
        costTable(out, evidence.getLayout(), evidence.getCostsList(), evidence.getStepUs());
        costTable(out, evidence.getAlternativeLayout(), evidence.getAlternativeCostsList(), evidence.getAlternativeStepUs());
    }

    private static void costTable(StringBuilder out, String layout, List<PlanEvidence.CollectiveCost> costs, double stepUs) {
        if (costs.isEmpty()) {
            return;
        }
        out.append("<table class=\"plan-costs\">\n<caption>").append(e(layout)).append(": communication per decode step</caption>\n")
                .append("<thead><tr><th>collective</th><th>nodes</th><th>bytes</th><th>op</th><th>per step</th>")
                .append("<th>per step total</th><th>measured by</th></tr></thead>\n<tbody>\n");
        for (PlanEvidence.CollectiveCost cost : costs) {
            out.append("<tr><td>").append(e(cost.getCollective())).append("</td><td>").append(e(String.join(", ", cost.getNodesList())))
                    .append("</td><td>").append(e(ByteSizes.format(cost.getBytes()))).append("</td><td>")
                    .append(e(Micros.format(cost.getOpUs()) + " (" + cost.getStatistic() + ", p99 " + Micros.format(cost.getP99Us()) + ")"))
                    .append("</td><td>").append(cost.getPerStep()).append("</td><td>").append(e(Micros.format(cost.getStepUs())))
                    .append("</td><td>").append(e(cost.getMeasurement())).append("</td></tr>\n");
        }
        out.append("<tr><th colspan=\"5\">step</th><th>").append(e(Micros.format(stepUs))).append("</th><td></td></tr>\n")
                .append("</tbody>\n</table>\n");
    }

    private static void planRow(StringBuilder out, String label, String value) {
        out.append("<tr><th>").append(e(label)).append("</th><td>").append(e(value)).append("</td></tr>\n");
    }

    private static String tier(Interconnect.Tier tier) {
        return tier == Interconnect.Tier.TIER_UNSPECIFIED ? "—" : tier.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    private static String e(String text) {
        return Html.escape(text);
    }
}
