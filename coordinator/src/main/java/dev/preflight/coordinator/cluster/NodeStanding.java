package dev.preflight.coordinator.cluster;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One node's standing as the cluster's scheduler should learn it: the worst status among its
 * counted checks, and the checks that failed. A node that did not answer is {@code unreachable},
 * which says nothing about its health, so nothing drains or taints it for that.
 *
 * @param node the node's name as its agent reports it (the Slurm or Kubernetes node name)
 */
public record NodeStanding(String node, Result result, List<String> failed) {
    /** Label-safe words, in the order of severity. */
    public enum Result {
        PASS, WARN, ERROR, FAIL, UNREACHABLE;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public boolean failing() {
        return result == Result.FAIL;
    }

    /** Every node of the report with a name, in report order. */
    public static List<NodeStanding> of(PreflightReport report) {
        List<NodeStanding> outcomes = new ArrayList<>();
        for (NodeReport node : report.getNodesList()) {
            String name = node.getNodeName().isEmpty() ? node.getHostname() : node.getNodeName();
            if (name.isEmpty()) {
                continue;
            }
            if (node.getReachability() != NodeReport.Reachability.REACHABLE) {
                outcomes.add(new NodeStanding(name, Result.UNREACHABLE, List.of()));
                continue;
            }
            Result result = Result.PASS;
            Set<String> failed = new LinkedHashSet<>();
            for (CheckResult check : node.getChecksList()) {
                if (!check.getNotCounted().isEmpty()) {
                    continue;
                }
                Result status = switch (check.getStatus()) {
                    case FAIL -> Result.FAIL;
                    case ERROR -> Result.ERROR;
                    case WARN -> Result.WARN;
                    default -> Result.PASS;
                };
                if (status == Result.FAIL) {
                    failed.add(check.getId());
                }
                if (status.ordinal() > result.ordinal()) {
                    result = status;
                }
            }
            outcomes.add(new NodeStanding(name, result, List.copyOf(failed)));
        }
        return outcomes;
    }
}
