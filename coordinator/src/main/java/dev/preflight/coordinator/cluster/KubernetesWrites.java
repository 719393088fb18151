package dev.preflight.coordinator.cluster;

import dev.preflight.coordinator.discovery.KubernetesApi;
import dev.preflight.proto.v1.PreflightReport;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a run tells the cluster, each only when asked for: every node's result as node labels
 * (for nodeSelector/affinity and for kubectl get nodes -L), a taint on the nodes that FAIL (first
 * PreferNoSchedule, NoSchedule when they fail again; removed once they pass), and the run's
 * summary in a ConfigMap. Each needs its own permission in deploy/kubernetes/rbac.yaml.
 */
public final class KubernetesWrites {
    public static final String RESULT_LABEL = "preflight.dev/result";
    public static final String CHECKED_LABEL = "preflight.dev/checked";
    public static final String TAINT_KEY = "preflight.dev/failed";
    /** Label values are at most 63 characters. */
    static final int MAX_LABEL_VALUE = 63;
    /** Well under the 1 MiB an object may hold. */
    static final int MAX_SUMMARY_NODES = 10_000;
    private static final DateTimeFormatter LABEL_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private final KubernetesClient client;

    public KubernetesWrites(KubernetesClient client) {
        this.client = client;
    }

    /** Sets {@value #RESULT_LABEL} (pass, warn, error, fail, unreachable) and {@value #CHECKED_LABEL} on every node. */
    public List<Written> label(List<NodeStanding> outcomes, Instant finished) {
        List<Written> lines = new ArrayList<>();
        String checked = LABEL_TIME.format(finished);
        for (NodeStanding outcome : outcomes) {
            Map<String, Object> patch = Map.of("metadata", Map.of("labels",
                    Map.of(RESULT_LABEL, outcome.result().word(), CHECKED_LABEL, checked)));
            try {
                client.nodes().withName(outcome.node()).patch(PatchContext.of(PatchType.JSON_MERGE),
                        client.getKubernetesSerialization().asJson(patch));
                lines.add(Written.done("labelled node " + outcome.node() + " " + RESULT_LABEL + "=" + outcome.result().word()));
            } catch (KubernetesClientException e) {
                lines.add(Written.failed("could not label node " + outcome.node() + ": " + denied(e, "patch on nodes")));
            }
        }
        return lines;
    }

    /**
     * Taints failing nodes with {@value #TAINT_KEY}: PreferNoSchedule the first time, NoSchedule when
     * the node already carries the PreferNoSchedule one (it failed the run before too). A node that
     * passes (or only warns) loses the taint; one that errs or did not answer keeps what it has.
     */
    public List<Written> taint(List<NodeStanding> outcomes) {
        List<Written> lines = new ArrayList<>();
        for (NodeStanding outcome : outcomes) {
            boolean passes = outcome.result() == NodeStanding.Result.PASS || outcome.result() == NodeStanding.Result.WARN;
            if (!outcome.failing() && !passes) {
                continue;
            }
            try {
                Node node = client.nodes().withName(outcome.node()).get();
                if (node == null) {
                    lines.add(Written.failed("could not taint node " + outcome.node() + ": no such node"));
                    continue;
                }
                List<Taint> taints = node.getSpec() == null ? List.of() : node.getSpec().getTaints();
                Taint ours = taints.stream().filter(t -> TAINT_KEY.equals(t.getKey())).findFirst().orElse(null);
                List<Taint> next = new ArrayList<>(taints.stream().filter(t -> !TAINT_KEY.equals(t.getKey())).toList());
                String effect;
                if (outcome.failing()) {
                    effect = ours == null ? "PreferNoSchedule" : "NoSchedule";
                    if (ours != null && "NoSchedule".equals(ours.getEffect())) {
                        lines.add(Written.done("node " + outcome.node() + " failed again; it keeps " + TAINT_KEY
                                + ":NoSchedule"));
                        continue;
                    }
                    // the value names the first failed check; kubectl describe node shows it
                    next.add(new TaintBuilder().withKey(TAINT_KEY).withEffect(effect)
                            .withValue(labelValue(outcome.failed().get(0))).build());
                } else if (ours == null) {
                    continue;
                } else {
                    effect = null;
                }
                // a JSON patch: the list replaced whole, and only if the node is as read (its
                // resourceVersion), so a taint another controller set meanwhile is not lost
                List<Map<String, Object>> patch = List.of(
                        Map.of("op", "test", "path", "/metadata/resourceVersion",
                                "value", node.getMetadata().getResourceVersion()),
                        node.getSpec() == null ? Map.of("op", "add", "path", "/spec", "value", Map.of("taints", next))
                                : Map.of("op", "add", "path", "/spec/taints", "value", next));
                client.nodes().withName(outcome.node()).patch(PatchContext.of(PatchType.JSON),
                        client.getKubernetesSerialization().asJson(patch));
                lines.add(Written.done(effect == null ? "removed " + TAINT_KEY + " from node " + outcome.node() + " (it passes)"
                        : "tainted node " + outcome.node() + " " + TAINT_KEY + ":" + effect));
            } catch (KubernetesClientException e) {
                lines.add(Written.failed("could not taint node " + outcome.node() + ": " + denied(e, "get/patch on nodes")));
            }
        }
        return lines;
    }

    /** Writes the run's summary to the ConfigMap {@code name} in the coordinator's namespace, replacing the last. */
    public Written summary(String name, PreflightReport report, List<NodeStanding> outcomes) {
        String namespace = KubernetesApi.namespace(client);
        if (namespace.isEmpty()) {
            return Written.failed("could not write the summary ConfigMap " + name + ": the credentials name no namespace");
        }
        StringBuilder nodes = new StringBuilder();
        int listed = 0;
        for (NodeStanding outcome : outcomes) {
            if (listed++ == MAX_SUMMARY_NODES) {
                nodes.append("… and ").append(outcomes.size() - MAX_SUMMARY_NODES).append(" more\n");
                break;
            }
            nodes.append(outcome.node()).append(' ').append(outcome.result().word());
            if (!outcome.failed().isEmpty()) {
                nodes.append(' ').append(String.join(",", outcome.failed()));
            }
            nodes.append('\n');
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("verdict", report.getVerdict().name());
        data.put("finished-at", Instant.ofEpochSecond(report.getFinishedAt().getSeconds()).toString());
        data.put("reasons", String.join("\n", report.getReasonsList()));
        data.put("nodes", nodes.toString());
        data.put("command-line", report.getCommandLine());
        ConfigMap map = new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/name", "preflight").endMetadata().withData(data).build();
        try {
            client.configMaps().inNamespace(namespace).resource(map).createOr(existing -> existing.update());
            return Written.done("wrote the summary to ConfigMap " + namespace + "/" + name);
        } catch (KubernetesClientException e) {
            return Written.failed("could not write the summary ConfigMap " + namespace + "/" + name + ": "
                    + denied(e, "create/get/update on configmaps"));
        }
    }

    private static String denied(KubernetesClientException e, String needs) {
        return KubernetesApi.describe(e) + (KubernetesApi.denied(e)
                ? "; the coordinator's service account needs " + needs + " (deploy/kubernetes/rbac.yaml)" : "");
    }

    /** A label value: letters, digits, '-', '_' and '.', starting and ending with a letter or digit. */
    static String labelValue(String text) {
        String value = text.replaceAll("[^A-Za-z0-9._-]", "-");
        if (value.length() > MAX_LABEL_VALUE) {
            value = value.substring(0, MAX_LABEL_VALUE);
        }
        return value.replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
    }
}
