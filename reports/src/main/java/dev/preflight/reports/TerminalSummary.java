package dev.preflight.reports;

import static dev.preflight.proto.text.TerminalText.escape;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import java.util.List;
import java.util.Locale;

/**
 * The summary a person reads on a terminal: the verdict and its deciding reasons first, then per
 * node and per check the status, what was found, what was observed and how to fix it. Every text
 * in it came from outside (host files, agents, a report from elsewhere) and is escaped; only the
 * colours this class paints reach the terminal as control sequences.
 */
public final class TerminalSummary {
    private static final String RESET = "\u001b[0m";

    private final boolean color;

    /** @param color ANSI colours; callers pass false when NO_COLOR is set or stdout is no terminal */
    public TerminalSummary(boolean color) {
        this.color = color;
    }

    public String render(PreflightReport report) {
        StringBuilder out = new StringBuilder();
        out.append("preflight ").append(escape(report.getToolVersion())).append(": verdict ")
                .append(paint(report.getVerdict().name(), verdictColor(report.getVerdict().name())))
                .append('\n');
        for (String reason : report.getReasonsList()) {
            out.append("  - ").append(escape(reason)).append('\n');
        }
        if (!report.getClusterChecksList().isEmpty()) {
            out.append('\n').append("cluster\n");
            appendChecks(out, report.getClusterChecksList());
        }
        for (NodeReport node : report.getNodesList()) {
            out.append('\n').append("node ").append(nodeLabel(node));
            if (node.getReachability() != NodeReport.Reachability.REACHABLE) {
                out.append(": ").append(paint(node.getReachability().name(), "31"))
                        .append(" (").append(escape(node.getError())).append(")\n");
            } else {
                out.append('\n');
            }
            appendChecks(out, node.getChecksList());
        }
        return out.toString();
    }

    private void appendChecks(StringBuilder out, List<CheckResult> checks) {
        int width = checks.stream().mapToInt(c -> escape(Names.check(c)).length()).max().orElse(0);
        for (CheckResult check : checks) {
            String status = check.getStatus().name();
            out.append("  ").append(paint(String.format(Locale.ROOT, "%-5s", status), statusColor(status)))
                    .append(' ').append(String.format(Locale.ROOT, "%-" + width + "s", escape(Names.check(check))))
                    .append("  ").append(escape(check.getSummary())).append('\n');
            String indent = " ".repeat(width + 9);
            if (check.getStatus() != CheckResult.Status.PASS && !check.getObserved().isEmpty()) {
                out.append(indent).append("observed: ").append(escape(check.getObserved()));
                if (!check.getExpected().isEmpty()) {
                    out.append("; expected: ").append(escape(check.getExpected()));
                }
                out.append('\n');
            }
            if (check.getStatus() != CheckResult.Status.PASS && !check.getThreshold().isEmpty()) {
                out.append(indent).append("threshold: ").append(escape(check.getThreshold())).append('\n');
            }
            if (!check.getNotCounted().isEmpty()) {
                out.append(indent).append("not counted: ").append(escape(check.getNotCounted())).append('\n');
            }
            if (!check.getRemediation().isEmpty()) {
                out.append(indent).append("fix: ").append(escape(check.getRemediation())).append('\n');
            }
        }
    }

    private static String nodeLabel(NodeReport node) {
        String name = Names.node(node);
        return escape(name.equals(node.getAddress()) ? name : name + " (" + node.getAddress() + ")");
    }

    private String paint(String text, String code) {
        return color && code != null ? "\u001b[" + code + "m" + text + RESET : text;
    }

    private static String statusColor(String status) {
        switch (status) {
            case "PASS":
                return "32";
            case "WARN":
                return "33";
            case "FAIL":
            case "ERROR":
                return "31";
            default:
                return null;
        }
    }

    private static String verdictColor(String verdict) {
        switch (verdict) {
            case "VIABLE":
                return "1;32";
            case "VIABLE_WITH_WARNINGS":
                return "1;33";
            default:
                return "1;31";
        }
    }
}
