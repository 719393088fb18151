package dev.preflight.coordinator.score;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.v1.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The overall verdict: any counted FAIL makes the cluster NOT_VIABLE (even when other nodes were
 * unreachable); otherwise anything not judged (an unreachable node, an ERROR check, a phase that
 * failed, no node at all) makes it INCOMPLETE; otherwise a WARN makes it VIABLE_WITH_WARNINGS.
 */
public final class Verdicts {
    /** The reasons list leads the terminal summary; past this many, it says how many more. */
    static final int MAX_REASONS = 12;

    public record Decision(Verdict verdict, List<String> reasons) {}

    private Verdicts() {}

    /**
     * Process-scoped results describe the process they ran in; where an agent reads the host's
     * views from a DaemonSet pod, they describe that pod and not the workload, so they are reported
     * but do not count.
     */
    public static boolean counts(NodeReport node, CheckResult check) {
        return check.getNotCounted().isEmpty() && !(check.getScope() == Scope.PROCESS && node.getInfo().getHostViews());
    }

    public static Decision decide(List<NodeReport> nodes, List<CheckResult> clusterChecks) {
        return decide(PreflightReport.newBuilder().addAllNodes(nodes).addAllClusterChecks(clusterChecks).build());
    }

    public static Decision decide(PreflightReport report) {
        List<String> failures = new ArrayList<>();
        List<String> incomplete = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        if (report.getNodesList().isEmpty()) {
            incomplete.add("no node was checked");
        }
        for (RunPhase phase : report.getPhasesList()) {
            if (phase.getOutcome() == RunPhase.Outcome.FAILED) {
                incomplete.add("phase " + phase.getName() + " failed: " + phase.getError());
            } else if (phase.getOutcome() == RunPhase.Outcome.NOT_RUN) {
                incomplete.add("phase " + phase.getName() + " not run: " + phase.getError());
            }
        }
        for (CheckResult check : report.getClusterChecksList()) {
            if (check.getNotCounted().isEmpty()) {
                classify("cluster", check, failures, incomplete, warnings);
            }
        }
        for (NodeReport node : report.getNodesList()) {
            String name = Scorer.nodeName(node);
            if (node.getReachability() != NodeReport.Reachability.REACHABLE) {
                incomplete.add("node " + name + " " + node.getReachability().name().toLowerCase(Locale.ROOT) + ": "
                        + node.getError());
            }
            for (CheckResult check : node.getChecksList()) {
                if (counts(node, check)) {
                    classify("node " + name, check, failures, incomplete, warnings);
                }
            }
        }
        Verdict verdict = !failures.isEmpty() ? Verdict.NOT_VIABLE
                : !incomplete.isEmpty() ? Verdict.INCOMPLETE
                : !warnings.isEmpty() ? Verdict.VIABLE_WITH_WARNINGS
                : Verdict.VIABLE;
        List<String> reasons = new ArrayList<>();
        reasons.addAll(failures);
        reasons.addAll(incomplete);
        reasons.addAll(warnings);
        if (reasons.size() > MAX_REASONS) {
            int more = reasons.size() - MAX_REASONS;
            reasons = new ArrayList<>(reasons.subList(0, MAX_REASONS));
            reasons.add("… and " + more + " more (see the checks below)");
        }
        return new Decision(verdict, reasons);
    }

    private static void classify(String where, CheckResult check, List<String> failures, List<String> incomplete,
            List<String> warnings) {
        String line = where + ": " + check.getId() + (check.getSubject().isEmpty() ? "" : "[" + check.getSubject() + "]")
                + " " + check.getStatus().name() + ": " + check.getSummary()
                + (check.getExpected().isEmpty() || check.getStatus() == CheckResult.Status.ERROR ? ""
                        : " (expected: " + check.getExpected() + ")");
        switch (check.getStatus()) {
            case FAIL:
                failures.add(line);
                break;
            case ERROR:
                incomplete.add(line);
                break;
            case WARN:
                warnings.add(line);
                break;
            default:
                break;
        }
    }
}
