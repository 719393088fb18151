package dev.preflight.coordinator.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.discovery.KubeMock;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Verdict;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node labels, taints and the summary ConfigMap against fabric8's mock API server in CRUD mode. */
class KubernetesWritesTest {
    @TempDir
    Path dir;
    private KubeMock api;
    private KubernetesClient client;

    @BeforeEach
    void start() throws IOException {
        api = KubeMock.start(dir);
        client = api.client();
        for (String name : List.of("gpu-01", "gpu-02", "gpu-03")) {
            api.admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                    // the GPU Operator's own taint stays whatever preflight does
                    .addNewTaint().withKey("nvidia.com/gpu").withEffect("NoSchedule").endTaint().endSpec().build()).create();
        }
    }

    @AfterEach
    void stop() {
        client.close();
        api.close();
    }

    private static CheckResult check(String id, CheckResult.Status status) {
        return CheckResult.newBuilder().setId(id).setStatus(status).build();
    }

    private static NodeReport node(String name, CheckResult... checks) {
        return NodeReport.newBuilder().setNodeName(name).setReachability(NodeReport.Reachability.REACHABLE)
                .addAllChecks(List.of(checks)).build();
    }

    /** gpu-01 passes, gpu-02 fails memlock (and a check that does not count), gpu-03 did not answer. */
    private static PreflightReport report(boolean secondFails) {
        return PreflightReport.newBuilder().setVerdict(secondFails ? Verdict.NOT_VIABLE : Verdict.INCOMPLETE)
                .addReasons("host.memlock FAIL on gpu-02: RLIMIT_MEMLOCK 64 KiB")
                .setCommandLine("preflight run --bench-pods /etc/preflight/bench/bench-lws.yaml --label-nodes")
                .addNodes(node("gpu-01", check("host.memlock", CheckResult.Status.PASS), check("gpu.ecc", CheckResult.Status.WARN)))
                .addNodes(node("gpu-02", check("host.memlock", secondFails ? CheckResult.Status.FAIL : CheckResult.Status.PASS),
                        check("host.shm", CheckResult.Status.FAIL).toBuilder().setNotCounted("process-scoped, host view")
                                .build()))
                .addNodes(NodeReport.newBuilder().setNodeName("gpu-03").setReachability(NodeReport.Reachability.UNREACHABLE))
                .build();
    }

    private Node get(String name) {
        return api.admin.nodes().withName(name).get();
    }

    private List<Taint> ours(String name) {
        return get(name).getSpec().getTaints().stream().filter(t -> t.getKey().equals(KubernetesWrites.TAINT_KEY)).toList();
    }

    @Test
    void everyNodeIsLabelledWithItsResult() {
        List<NodeStanding> outcomes = NodeStanding.of(report(true));
        assertEquals(List.of(new NodeStanding("gpu-01", NodeStanding.Result.WARN, List.of()),
                new NodeStanding("gpu-02", NodeStanding.Result.FAIL, List.of("host.memlock")),
                new NodeStanding("gpu-03", NodeStanding.Result.UNREACHABLE, List.of())), outcomes);
        List<Written> written = new KubernetesWrites(client).label(outcomes, Instant.parse("2026-12-04T16:20:05Z"));
        assertTrue(written.stream().allMatch(Written::ok), written.toString());
        assertEquals("warn", get("gpu-01").getMetadata().getLabels().get("preflight.dev/result"));
        assertEquals("fail", get("gpu-02").getMetadata().getLabels().get("preflight.dev/result"));
        assertEquals("unreachable", get("gpu-03").getMetadata().getLabels().get("preflight.dev/result"));
        assertEquals("20261204T162005Z", get("gpu-02").getMetadata().getLabels().get("preflight.dev/checked"));
    }

    @Test
    void aFailingNodeIsTaintedPreferNoScheduleThenNoScheduleAndUntaintedWhenItPasses() {
        KubernetesWrites writes = new KubernetesWrites(client);
        List<Written> first = writes.taint(NodeStanding.of(report(true)));
        assertEquals(List.of("tainted node gpu-02 preflight.dev/failed:PreferNoSchedule"),
                first.stream().map(Written::line).toList());
        assertEquals("PreferNoSchedule", ours("gpu-02").get(0).getEffect());
        assertEquals("host.memlock", ours("gpu-02").get(0).getValue());
        assertTrue(ours("gpu-01").isEmpty() && ours("gpu-03").isEmpty());

        writes.taint(NodeStanding.of(report(true)));
        assertEquals(1, ours("gpu-02").size());
        assertEquals("NoSchedule", ours("gpu-02").get(0).getEffect(), "failed again");
        assertEquals("node gpu-02 failed again; it keeps preflight.dev/failed:NoSchedule",
                writes.taint(NodeStanding.of(report(true))).get(0).line());

        assertEquals("removed preflight.dev/failed from node gpu-02 (it passes)",
                writes.taint(NodeStanding.of(report(false))).get(0).line());
        assertTrue(ours("gpu-02").isEmpty());
        assertEquals(List.of("nvidia.com/gpu"), get("gpu-02").getSpec().getTaints().stream().map(Taint::getKey).toList());
    }

    @Test
    void theSummaryIsWrittenToAConfigMapAndReplacedByTheNextRun() {
        KubernetesWrites writes = new KubernetesWrites(client);
        assertEquals("wrote the summary to ConfigMap preflight/preflight-summary",
                writes.summary("preflight-summary", report(true), NodeStanding.of(report(true))).line());
        ConfigMap map = api.admin.configMaps().withName("preflight-summary").get();
        assertEquals("NOT_VIABLE", map.getData().get("verdict"));
        assertEquals("gpu-01 warn\ngpu-02 fail host.memlock\ngpu-03 unreachable\n", map.getData().get("nodes"));
        assertEquals("host.memlock FAIL on gpu-02: RLIMIT_MEMLOCK 64 KiB", map.getData().get("reasons"));

        Written again = writes.summary("preflight-summary", report(false), NodeStanding.of(report(false)));
        assertTrue(again.ok(), again.line());
        assertEquals("INCOMPLETE", api.admin.configMaps().withName("preflight-summary").get().getData().get("verdict"));
    }

    @Test
    void aRefusedPatchNamesThePermissionAndCountsAsNotWritten() {
        api.refuse("PATCH", "/api/v1/nodes/gpu-01", 403, "Forbidden", "nodes \"gpu-01\" is forbidden: User"
                + " \"system:serviceaccount:preflight:preflight-coordinator\" cannot patch resource \"nodes\" in API group \"\""
                + " at the cluster scope");
        List<Written> written = new KubernetesWrites(client).label(NodeStanding.of(report(true)), Instant.EPOCH);
        assertFalse(written.get(0).ok());
        assertEquals("could not label node gpu-01: HTTP 403 nodes \"gpu-01\" is forbidden: User"
                + " \"system:serviceaccount:preflight:preflight-coordinator\" cannot patch resource \"nodes\" in API group \"\""
                + " at the cluster scope; the coordinator's service account needs patch on nodes (deploy/kubernetes/rbac.yaml)",
                written.get(0).line());
        assertTrue(written.get(1).ok(), "the others are still written");
    }

    @Test
    void labelValuesKeepToTheirAlphabet() {
        assertEquals("fabric.ib_ports", KubernetesWrites.labelValue("fabric.ib_ports"));
        assertEquals("a-b", KubernetesWrites.labelValue("-a b."));
        assertEquals(63, KubernetesWrites.labelValue("x".repeat(80)).length());
    }
}
