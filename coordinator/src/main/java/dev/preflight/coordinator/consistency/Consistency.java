package dev.preflight.coordinator.consistency;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Evidence;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Cross-node checks: each node can pass its own checks and the job still fail because the nodes
 * disagree. Diffs the nodes' fingerprints, and checks identities are unique and clocks agree.
 */
public final class Consistency {
    public static final String CONSISTENCY_ID = "cluster.consistency";
    public static final String IDENTITY_ID = "cluster.identity";
    public static final String CLOCK_ID = "cluster.clock";

    /** Clocks further apart than this make logs unreadable and timeouts spurious. */
    public static final double MAX_CLOCK_OFFSET_MILLIS = 1_000;

    /**
     * How much a difference matters, by key prefix, first match wins. A mismatch that makes NCCL hang
     * or fail (its settings, its version, MTU, the RoCE GID index, the GPU model, the model files)
     * is a FAIL; drift that usually still works is a WARN.
     */
    static final Map<String, Status> SEVERITY = new LinkedHashMap<>();

    static {
        SEVERITY.put("nccl_env.", Status.FAIL);
        SEVERITY.put("nccl.version", Status.FAIL);
        SEVERITY.put("nccl.net_plugin", Status.FAIL);
        SEVERITY.put("gpu.model", Status.FAIL);
        SEVERITY.put("mtu.", Status.FAIL);
        SEVERITY.put("roce_gid_index", Status.FAIL);
        SEVERITY.put("model_store_fingerprint", Status.FAIL);
        SEVERITY.put("", Status.WARN);
    }

    private static final int MAX_NODES_NAMED = 10;
    static final String ABSENT = "(absent)";

    private Consistency() {}

    /** The cluster checks for the reachable nodes; with one node there is nothing to compare. */
    public static List<CheckResult> check(List<NodeReport> nodes) {
        List<NodeReport> reachable = nodes.stream()
                .filter(n -> n.getReachability() == NodeReport.Reachability.REACHABLE).toList();
        return List.of(fingerprints(reachable), identities(reachable), clocks(reachable));
    }

    static Status severity(String key) {
        for (Map.Entry<String, Status> entry : SEVERITY.entrySet()) {
            if (key.startsWith(entry.getKey())) {
                return entry.getValue();
            }
        }
        return Status.WARN;
    }

    static CheckResult fingerprints(List<NodeReport> nodes) {
        CheckResult.Builder result = CheckResult.newBuilder().setId(CONSISTENCY_ID).setScope(Scope.HOST)
                .setExpected("the same driver, CUDA, NCCL, GPU model and count, NICs, MTU, RoCE GID index, "
                        + "NCCL_* settings, kernel and model files on every node");
        if (nodes.size() < 2) {
            return result.setStatus(Status.SKIP).setSummary("fewer than two reachable nodes: nothing to compare").build();
        }
        TreeSet<String> keys = new TreeSet<>();
        nodes.forEach(n -> keys.addAll(n.getFingerprint().getFactsMap().keySet()));
        Status worst = Status.PASS;
        List<String> differing = new ArrayList<>();
        List<String> details = new ArrayList<>();
        for (String key : keys) {
            Map<String, List<String>> byValue = new TreeMap<>();
            for (NodeReport node : nodes) {
                String value = node.getFingerprint().getFactsMap().getOrDefault(key, ABSENT);
                byValue.computeIfAbsent(value, v -> new ArrayList<>()).add(name(node));
            }
            if (byValue.size() < 2) {
                continue;
            }
            Status severity = severity(key);
            worst = severity == Status.FAIL || worst == Status.FAIL ? Status.FAIL : Status.WARN;
            differing.add(key);
            String detail = describe(key, byValue);
            details.add(detail);
            result.addEvidence(Evidence.newBuilder().setSource("fingerprint " + key).setValue(detail));
        }
        if (differing.isEmpty()) {
            return result.setStatus(Status.PASS)
                    .setSummary(keys.size() + " facts agree on all " + nodes.size() + " nodes").build();
        }
        return result.setStatus(worst)
                .setSummary(differing.size() + " of " + keys.size() + " facts differ between nodes: " + String.join(", ", differing))
                .setObserved(String.join("; ", details))
                .setRemediation("make the nodes identical where they differ (same image, driver, NCCL and settings); "
                        + "the value on the fewest nodes is listed last and is the likely outlier")
                .build();
    }

    /** "key: 'a' on n1, n2; 'b' on n3", the most common value first, an absent one last among equals. */
    static String describe(String key, Map<String, List<String>> byValue) {
        List<Map.Entry<String, List<String>>> entries = new ArrayList<>(byValue.entrySet());
        entries.sort(Comparator.comparing((Map.Entry<String, List<String>> e) -> -e.getValue().size())
                .thenComparing(e -> e.getKey().equals(ABSENT))
                .thenComparing(Map.Entry::getKey));
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, List<String>> entry : entries) {
            String value = entry.getKey().equals(ABSENT) ? ABSENT : "'" + entry.getKey() + "'";
            parts.add(value + " on " + names(entry.getValue()));
        }
        return key + ": " + String.join("; ", parts);
    }

    static CheckResult identities(List<NodeReport> nodes) {
        CheckResult.Builder result = CheckResult.newBuilder().setId(IDENTITY_ID).setScope(Scope.HOST)
                .setExpected("unique node names, hostnames and boot ids (NCCL identifies a host by hostname and boot id)");
        List<String> problems = new ArrayList<>();
        duplicates(nodes, "node name", NodeReport::getNodeName, problems);
        duplicates(nodes, "hostname", NodeReport::getHostname, problems);
        duplicates(nodes, "boot id", n -> n.getInfo().getBootId(), problems);
        if (problems.isEmpty()) {
            return result.setStatus(Status.PASS)
                    .setSummary("node names, hostnames and boot ids are unique across " + nodes.size() + " node(s)").build();
        }
        return result.setStatus(Status.FAIL)
                .setSummary("nodes share an identity: " + String.join("; ", problems))
                .setObserved(String.join("; ", problems))
                .setRemediation("give every node a unique hostname (and --node-name); two agents reporting one boot id "
                        + "are the same machine listed twice, or cloned VMs: NCCL would treat them as one host and use shared memory between them")
                .build();
    }

    private static void duplicates(List<NodeReport> nodes, String what,
            Function<NodeReport, String> field, List<String> problems) {
        Map<String, List<String>> byValue = new TreeMap<>();
        for (NodeReport node : nodes) {
            String value = field.apply(node);
            if (!value.isEmpty()) {
                byValue.computeIfAbsent(value, v -> new ArrayList<>()).add(node.getAddress());
            }
        }
        byValue.forEach((value, addresses) -> {
            if (addresses.size() > 1) {
                problems.add(what + " '" + value + "' on " + names(addresses));
            }
        });
    }

    static CheckResult clocks(List<NodeReport> nodes) {
        CheckResult.Builder result = CheckResult.newBuilder().setId(CLOCK_ID).setScope(Scope.HOST)
                .setExpected("every node's clock within " + (long) MAX_CLOCK_OFFSET_MILLIS + " ms of the coordinator's");
        List<String> off = new ArrayList<>();
        double worst = 0;
        for (NodeReport node : nodes) {
            // the offset is only known to within half the round trip
            double offset = Math.abs(node.getClockOffsetMillis()) - node.getClockRttMillis() / 2;
            worst = Math.max(worst, Math.abs(node.getClockOffsetMillis()));
            result.addMeasurements(Measurement.newBuilder()
                    .setName("clock_offset_seconds").setValue(node.getClockOffsetMillis() / 1e3).setUnit("s")
                    .setSubject(name(node)));
            if (offset > MAX_CLOCK_OFFSET_MILLIS) {
                off.add(String.format(Locale.ROOT, "%s %.1f s %s", name(node), Math.abs(node.getClockOffsetMillis()) / 1e3,
                        node.getClockOffsetMillis() > 0 ? "ahead" : "behind"));
            }
        }
        if (off.isEmpty()) {
            return result.setStatus(Status.PASS)
                    .setSummary(String.format(Locale.ROOT, "clocks agree: largest offset %.0f ms", worst)).build();
        }
        return result.setStatus(Status.WARN)
                .setSummary("clocks disagree: " + String.join(", ", off))
                .setObserved(String.join(", ", off))
                .setRemediation("synchronise clocks with NTP/chrony (timedatectl show -p NTPSynchronized)")
                .build();
    }

    private static String name(NodeReport node) {
        return node.getNodeName().isEmpty() ? node.getAddress() : node.getNodeName();
    }

    private static String names(List<String> names) {
        if (names.size() <= MAX_NODES_NAMED) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, MAX_NODES_NAMED)) + " and " + (names.size() - MAX_NODES_NAMED) + " more";
    }
}
