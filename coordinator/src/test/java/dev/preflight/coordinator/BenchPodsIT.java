package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.cluster.KubernetesWrites;
import dev.preflight.coordinator.discovery.BenchPods;
import dev.preflight.coordinator.discovery.KubeMock;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `preflight run --bench-pods` from the fat jar, as the coordinator Job runs it: the coordinator
 * creates the real template's LeaderWorkerSet in fabric8's mock API server (reached through a
 * kubeconfig), watches its pods, runs against real agents where the pods say they are (127.0.0.1
 * and 127.0.0.2, one port, as pods on two nodes' host networks), and deletes the group however the
 * run ends. The test plays the LeaderWorkerSet controller and the kubelets: once the group exists
 * it writes the group's pods, in stages.
 */
class BenchPodsIT {
    private static final Path TEMPLATE = Paths.get(System.getProperty("basedir", ".")).toAbsolutePath().getParent()
            .resolve("deploy/kubernetes/bench-lws.yaml");

    @TempDir
    Path dir;
    private KubeMock api;
    private int port;
    private Path template;

    @BeforeEach
    void start() throws IOException {
        api = KubeMock.start(dir);
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = free.getLocalPort();
        }
        template = dir.resolve("bench-lws.yaml");
        String text = Files.readString(TEMPLATE);
        assertTrue(text.contains("--listen=0.0.0.0:7745"), "the template's agent port moved: update this test");
        Files.writeString(template, text.replace("--listen=0.0.0.0:7745", "--listen=0.0.0.0:" + port));
    }

    @AfterEach
    void stop() {
        api.close();
    }

    /** Once the coordinator's group exists, writes each stage's pods for its run, a second apart. */
    @SafeVarargs
    private Thread controller(Function<String, Pod[]>... stages) {
        Thread thread = new Thread(() -> {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (api.benchGroups().isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        return;
                    }
                    Thread.sleep(100);
                }
                String run = api.benchGroups().get(0).getMetadata().getLabels().get(BenchPods.RUN_LABEL);
                for (Function<String, Pod[]> stage : stages) {
                    api.pods(stage.apply(run));
                    Thread.sleep(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "lws-controller");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private AgentProcess agent(String ip, String node) throws Exception {
        Path tree = TestFixtures.distinctNode("memlock-unlimited", dir.resolve("trees").resolve(node), node);
        List<String> args = new ArrayList<>(List.of("--node-name", node));
        args.addAll(TestFixtures.rootFlags(tree));
        return AgentProcess.startOn(ip + ":" + port, args, Map.of());
    }

    private Testbed.Result coordinator(java.util.function.BiConsumer<Process, String> onLine, String... args)
            throws Exception {
        List<String> command = new ArrayList<>(AgentProcess.javaCommand("run", "--bench-pods", template.toString()));
        command.addAll(List.of(args));
        return Testbed.run(command, new HashMap<>(api.environment()), 120, onLine);
    }

    private List<String> writes() throws InterruptedException {
        return api.requests().stream().filter(r -> r.startsWith("PATCH ") || r.contains("/configmaps")).toList();
    }

    @Test
    void theRunCreatesThePodsUsesThemAsItsAgentsTellsTheNodesAndDeletesThem() throws Exception {
        for (String node : List.of("gpu-01", "gpu-02")) {
            api.admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(node).endMetadata().build()).create();
        }
        controller(run -> new Pod[] {KubeMock.unschedulablePod("preflight-bench-0", run),
                    KubeMock.unschedulablePod("preflight-bench-0-1", run)},
                run -> new Pod[] {KubeMock.runningPod("preflight-bench-0", run, "gpu-01", "127.0.0.1"),
                    KubeMock.runningPod("preflight-bench-0-1", run, "gpu-02", "127.0.0.2")});
        Path out = dir.resolve("out");
        try (AgentProcess first = agent("127.0.0.1", "gpu-01"); AgentProcess second = agent("127.0.0.2", "gpu-02")) {
            // a loaded build machine can take longer than the default 10 s to answer
            Testbed.Result result = coordinator((process, line) -> { }, "--checks", "host.shm", "--connect-timeout", "60s",
                    "--label-nodes", "--taint-failed", "--summary-configmap", "preflight-summary", "--out", out.toString());
            assertTrue(result.output().contains("preflight: bench pods: 2/2 ready"), result.output());
            PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
            assertEquals(List.of("gpu-01", "gpu-02"), report.getNodesList().stream().map(NodeReport::getNodeName).toList(),
                    result.output());
            CheckResult expected = report.getClusterChecksList().stream()
                    .filter(c -> c.getId().equals("cluster.expected_nodes")).findFirst().orElseThrow();
            assertEquals(CheckResult.Status.PASS, expected.getStatus(), expected.toString());
            assertTrue(api.benchGroups().isEmpty(), "deleted: " + api.requests());
            assertFalse(api.deletes().isEmpty(), api.requests().toString());
            assertTrue(result.output().contains("preflight: bench pods: deleted LeaderWorkerSet preflight/preflight-bench"),
                    result.output());

            for (String node : List.of("gpu-01", "gpu-02")) {
                assertEquals("pass", api.admin.nodes().withName(node).get().getMetadata().getLabels()
                        .get(KubernetesWrites.RESULT_LABEL), node);
                assertTrue(result.output().contains("preflight: labelled node " + node + " preflight.dev/result=pass"),
                        result.output());
            }
            ConfigMap summary = api.admin.configMaps().withName("preflight-summary").get();
            assertEquals(report.getVerdict().name(), summary.getData().get("verdict"));
            assertEquals("gpu-01 pass\ngpu-02 pass\n", summary.getData().get("nodes"));
        }
    }

    @Test
    void aPodThatNeverSchedulesIsAFailSayingWhyAndTheGroupIsStillDeleted() throws Exception {
        controller(run -> new Pod[] {KubeMock.runningPod("preflight-bench-0", run, "gpu-01", "127.0.0.1"),
                KubeMock.unschedulablePod("preflight-bench-0-1", run)});
        Path out = dir.resolve("out");
        try (AgentProcess first = agent("127.0.0.1", "gpu-01")) {
            // a loaded build machine can take longer than the default 10 s to answer
            Testbed.Result result = coordinator((process, line) -> { }, "--bench-pods-timeout", "10s",
                    "--connect-timeout", "60s", "--checks", "host.shm", "--out", out.toString());
            assertEquals(1, result.exitCode(), result.output());
            PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
            assertEquals(List.of("gpu-01"), report.getNodesList().stream().map(NodeReport::getNodeName).toList(),
                    result.output());
            assertTrue(report.getReasonsList().stream().anyMatch(reason -> reason.contains("cluster.expected_nodes FAIL:"
                    + " expected at least 2 node(s), 1 answered") && reason.contains("Insufficient nvidia.com/gpu")),
                    report.getReasonsList().toString());
            assertFalse(api.deletes().isEmpty(), api.requests().toString());
            assertEquals(List.of(), writes(), "nothing written into the cluster without --label-nodes, --taint-failed"
                    + " or --summary-configmap");
        }
    }

    @Test
    void aCoordinatorStoppedWhileWaitingStillDeletesTheGroup() throws Exception {
        controller(run -> new Pod[] {KubeMock.unschedulablePod("preflight-bench-0", run),
                KubeMock.unschedulablePod("preflight-bench-0-1", run)});
        AtomicBoolean stopped = new AtomicBoolean();
        Testbed.Result result = coordinator((process, line) -> {
            if (line.contains("bench pods: 0/2 ready") && stopped.compareAndSet(false, true)) {
                process.destroy();
            }
        }, "--bench-pods-timeout", "5m", "--out", dir.resolve("out").toString());
        assertTrue(stopped.get(), result.output());
        // a stopped run writes its partial report and says it is incomplete
        assertEquals(4, result.exitCode(), "SIGTERM: " + result.output());
        assertTrue(api.benchGroups().isEmpty(), api.requests().toString());
    }

    @Test
    void outsideAClusterTheRunSaysSoBeforeCreatingAnything() throws Exception {
        List<String> command = new ArrayList<>(AgentProcess.javaCommand("run", "--bench-pods", template.toString()));
        Testbed.Result result = Testbed.run(command, Map.of("KUBERNETES_SERVICE_HOST", "", "HOME", dir.toString()), 60,
                (process, line) -> { });
        assertEquals(4, result.exitCode(), result.output());
        assertTrue(result.output().contains("preflight: --bench-pods: KUBERNETES_SERVICE_HOST is not set and there is no"
                + " kubeconfig (KUBECONFIG, ~/.kube/config): --bench-pods works from a pod inside the cluster, or with"
                + " kubectl's credentials"), result.output());
        assertTrue(api.requests().isEmpty());
    }
}
