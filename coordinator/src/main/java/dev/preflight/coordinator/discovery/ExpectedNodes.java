package dev.preflight.coordinator.discovery;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Evidence;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The nodes that must answer, whatever discovery found: by name (a Slurm allocation, a hostfile,
 * Kubernetes nodes by label, {@code --expect-nodes a,b}) or by count ({@code --expect-nodes 4}).
 * Judged as the cluster check {@value #CHECK_ID}: a node expected and not answering is a FAIL
 * naming it, never silently absent.
 */
public final class ExpectedNodes {
    public static final String CHECK_ID = "cluster.expected_nodes";
    /** Names listed in one summary line; the rest are counted. */
    static final int NAMES_IN_SUMMARY = 10;

    private final Map<String, String> names = new LinkedHashMap<>();
    private int count;
    private final List<String> errors = new ArrayList<>();
    /** Why some expected nodes cannot answer, known before the run (a bench pod that never started). */
    private final List<String> shortfalls = new ArrayList<>();
    private final List<Evidence> evidence = new ArrayList<>();

    /** Adds names that must answer; {@code source} says where they came from. */
    public void require(List<String> nodes, String source) {
        for (String node : nodes) {
            names.putIfAbsent(node, source);
        }
        evidence(source, nodes.size() + " node(s): " + abbreviate(nodes));
    }

    /** At least this many agents must answer. */
    public void requireCount(int nodes, String source) {
        count = Math.max(count, nodes);
        evidence(source, "at least " + nodes + " node(s)");
    }

    /** A source of expected nodes could not be read: the check cannot be judged. */
    public void failed(String source, String reason) {
        errors.add(source + ": " + reason);
        evidence(source, "(failed: " + reason + ")");
    }

    /** Some expected nodes will not answer, and why: said with the FAIL that follows. */
    public void shortfall(String source, String reason) {
        shortfalls.add(source + ": " + reason);
        evidence(source, reason);
    }

    /** What discovery did, for the report (a DNS answer, a hostfile read). */
    public void evidence(String source, String value) {
        evidence.add(Evidence.newBuilder().setSource(source).setValue(value).build());
    }

    public boolean isEmpty() {
        return names.isEmpty() && count == 0 && errors.isEmpty();
    }

    public CheckResult judge(List<NodeReport> nodes) {
        List<String> missing = new ArrayList<>();
        List<String> answered = new ArrayList<>();
        for (String name : names.keySet()) {
            NodeReport node = find(nodes, name);
            if (node != null && node.getReachability() == NodeReport.Reachability.REACHABLE) {
                answered.add(name);
            } else if (node != null) {
                missing.add(name + " (" + node.getReachability().name().toLowerCase(Locale.ROOT) + ": " + node.getError() + ")");
            } else {
                missing.add(name + " (no agent found)");
            }
        }
        Set<String> unexpected = new LinkedHashSet<>();
        int reachable = 0;
        for (NodeReport node : nodes) {
            if (node.getReachability() == NodeReport.Reachability.REACHABLE) {
                reachable++;
                if (!names.isEmpty() && names.keySet().stream().noneMatch(name -> answersFor(node, name))) {
                    unexpected.add(node.getNodeName().isEmpty() ? node.getAddress() : node.getNodeName());
                }
            }
        }
        int expected = Math.max(names.size(), count);
        CheckResult.Builder result = CheckResult.newBuilder()
                .setId(CHECK_ID)
                .setScope(Scope.HOST)
                .setExpected(describeExpectation())
                .setObserved(reachable + " agent(s) answered" + (names.isEmpty() ? "" : "; " + answered.size() + " of "
                        + names.size() + " expected node(s)")
                        + (unexpected.isEmpty() ? "" : "; not expected but answered: " + abbreviate(List.copyOf(unexpected))))
                .addAllEvidence(evidence)
                .addMeasurements(Measurement.newBuilder().setName("expected_nodes").setValue(expected).setUnit("count"))
                .addMeasurements(Measurement.newBuilder().setName("answering_nodes").setValue(reachable).setUnit("count"));
        if (!missing.isEmpty()) {
            return result.setStatus(CheckResult.Status.FAIL)
                    .setSummary(missing.size() + " of " + names.size() + " expected node(s) did not answer: "
                            + abbreviate(missing) + because())
                    .setRemediation("start the agent on those nodes (DaemonSet pod pending or missing? kubectl -n preflight"
                            + " get pods -o wide) or fix what keeps it from answering; or correct the expected set")
                    .build();
        }
        if (reachable < count) {
            return result.setStatus(CheckResult.Status.FAIL)
                    .setSummary("expected at least " + count + " node(s), " + reachable + " answered" + because())
                    .setRemediation("start the agent on every node of the deployment, or correct --expect-nodes")
                    .build();
        }
        if (!errors.isEmpty()) {
            return result.setStatus(CheckResult.Status.ERROR)
                    .setSummary("the expected nodes could not be listed: " + String.join("; ", errors))
                    .setRemediation("fix the access named above, or give the nodes with --expect-nodes")
                    .build();
        }
        return result.setStatus(CheckResult.Status.PASS)
                .setSummary("all " + expected + " expected node(s) answered")
                .build();
    }

    private String because() {
        return shortfalls.isEmpty() ? "" : " (" + String.join("; ", shortfalls) + ")";
    }

    private String describeExpectation() {
        List<String> parts = new ArrayList<>();
        if (!names.isEmpty()) {
            parts.add("every node of: " + String.join(", ", new LinkedHashSet<>(names.values())));
        }
        if (count > 0) {
            parts.add("at least " + count + " node(s)");
        }
        return String.join("; ", parts);
    }

    private static NodeReport find(List<NodeReport> nodes, String name) {
        NodeReport unanswered = null;
        for (NodeReport node : nodes) {
            if (answersFor(node, name)) {
                if (node.getReachability() == NodeReport.Reachability.REACHABLE) {
                    return node;
                }
                unanswered = node;
            }
        }
        return unanswered;
    }

    /**
     * A report is a node's when the agent says so (its node name, its hostname, or the hostname's
     * first label) or when the coordinator called that node by name.
     */
    static boolean answersFor(NodeReport node, String name) {
        String hostname = node.getHostname();
        int dot = hostname.indexOf('.');
        return name.equals(node.getNodeName())
                || name.equals(hostname)
                || (dot > 0 && name.equals(hostname.substring(0, dot)))
                || name.equals(addressHost(node.getAddress()));
    }

    private static String addressHost(String address) {
        if (address.startsWith("[")) {
            int close = address.indexOf(']');
            return close < 0 ? address : address.substring(1, close);
        }
        int colon = address.lastIndexOf(':');
        return colon < 0 ? address : address.substring(0, colon);
    }

    private static String abbreviate(List<String> items) {
        if (items.size() <= NAMES_IN_SUMMARY) {
            return String.join(", ", items);
        }
        return String.join(", ", items.subList(0, NAMES_IN_SUMMARY)) + " and " + (items.size() - NAMES_IN_SUMMARY)
                + " more";
    }
}
