package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.discovery.FakeKubeApi;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
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
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `preflight run --bench-pods` from the fat jar, as the bench-run Job runs it: the coordinator
 * creates the real template's LeaderWorkerSet through a fake API server, waits for its pods, runs
 * against real agents where the pods say they are (127.0.0.1 and 127.0.0.2, one port, as pods on
 * two nodes' host networks), and deletes the group however the run ends.
 */
class BenchPodsIT {
    private static final Path TEMPLATE = Paths.get(System.getProperty("basedir", ".")).toAbsolutePath().getParent()
            .resolve("deploy/kubernetes/bench-lws.yaml");
    private static final String DELETE = "DELETE /apis/leaderworkerset.x-k8s.io/v1/namespaces/preflight/leaderworkersets/"
            + "preflight-bench?propagationPolicy=Background";

    @TempDir
    Path dir;
    private FakeKubeApi api;
    private int port;
    private Path template;

    @BeforeEach
    void start() throws IOException {
        api = FakeKubeApi.start(dir);
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

    private AgentProcess agent(String ip, String node) throws Exception {
        Path tree = TestFixtures.distinctNode("memlock-unlimited", dir.resolve("trees").resolve(node), node);
        List<String> args = new ArrayList<>(List.of("--node-name", node));
        args.addAll(TestFixtures.rootFlags(tree));
        return AgentProcess.startOn(ip + ":" + port, args, Map.of());
    }

    private Testbed.Result coordinator(long timeoutSeconds, java.util.function.BiConsumer<Process, String> onLine,
            String... args) throws Exception {
        List<String> command = new ArrayList<>(AgentProcess.javaCommand("run", "--bench-pods", template.toString()));
        command.addAll(List.of(args));
        Map<String, String> environment = new HashMap<>(api.environment());
        environment.put("PREFLIGHT_K8S_SERVICE_ACCOUNT", api.serviceAccount().toString());
        return Testbed.run(command, environment, 120, onLine);
    }

    @Test
    void theRunCreatesThePodsUsesThemAsItsAgentsAndDeletesThem() throws Exception {
        api.pods(FakeKubeApi.podList(FakeKubeApi.unschedulablePod("preflight-bench-0"),
                        FakeKubeApi.unschedulablePod("preflight-bench-0-1")),
                FakeKubeApi.podList(FakeKubeApi.runningPod("preflight-bench-0", "gpu-01", "127.0.0.1"),
                        FakeKubeApi.runningPod("preflight-bench-0-1", "gpu-02", "127.0.0.2")));
        Path out = dir.resolve("out");
        try (AgentProcess first = agent("127.0.0.1", "gpu-01"); AgentProcess second = agent("127.0.0.2", "gpu-02")) {
            Testbed.Result result = coordinator(120, (process, line) -> { }, "--checks", "host.shm",
                    "--out", out.toString());
            assertTrue(result.output().contains("preflight: bench pods: 2/2 ready"), result.output());
            PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
            assertEquals(List.of("gpu-01", "gpu-02"), report.getNodesList().stream().map(NodeReport::getNodeName).toList());
            CheckResult expected = report.getClusterChecksList().stream()
                    .filter(c -> c.getId().equals("cluster.expected_nodes")).findFirst().orElseThrow();
            assertEquals(CheckResult.Status.PASS, expected.getStatus(), expected.toString());
            assertEquals(List.of(DELETE), api.deletes(), api.toString());
            assertTrue(result.output().contains("preflight: bench pods: deleted LeaderWorkerSet preflight/preflight-bench"),
                    result.output());
        }
    }

    @Test
    void aPodThatNeverSchedulesIsAFailSayingWhyAndTheGroupIsStillDeleted() throws Exception {
        api.pods(FakeKubeApi.podList(FakeKubeApi.runningPod("preflight-bench-0", "gpu-01", "127.0.0.1"),
                FakeKubeApi.unschedulablePod("preflight-bench-0-1")));
        Path out = dir.resolve("out");
        try (AgentProcess first = agent("127.0.0.1", "gpu-01")) {
            Testbed.Result result = coordinator(120, (process, line) -> { }, "--bench-pods-timeout", "10s",
                    "--checks", "host.shm", "--out", out.toString());
            assertEquals(1, result.exitCode(), result.output());
            PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
            assertEquals(List.of("gpu-01"), report.getNodesList().stream().map(NodeReport::getNodeName).toList());
            assertTrue(report.getReasonsList().stream().anyMatch(reason -> reason.contains("cluster.expected_nodes FAIL:"
                    + " expected at least 2 node(s), 1 answered") && reason.contains("Insufficient nvidia.com/gpu")),
                    report.getReasonsList().toString());
            assertEquals(List.of(DELETE), api.deletes(), api.toString());
        }
    }

    @Test
    void aCoordinatorStoppedWhileWaitingStillDeletesTheGroup() throws Exception {
        api.pods(FakeKubeApi.podList(FakeKubeApi.unschedulablePod("preflight-bench-0"),
                FakeKubeApi.unschedulablePod("preflight-bench-0-1")));
        AtomicBoolean stopped = new AtomicBoolean();
        Testbed.Result result = coordinator(120, (process, line) -> {
            if (line.contains("bench pods: 0/2 ready") && stopped.compareAndSet(false, true)) {
                process.destroy();
            }
        }, "--bench-pods-timeout", "5m", "--out", dir.resolve("out").toString());
        assertTrue(stopped.get(), result.output());
        assertEquals(143, result.exitCode(), "SIGTERM: " + result.output());
        assertEquals(List.of(DELETE), api.deletes(), api.toString());
    }

    @Test
    void outsideAClusterTheRunSaysSoBeforeCreatingAnything() throws Exception {
        List<String> command = new ArrayList<>(AgentProcess.javaCommand("run", "--bench-pods", template.toString()));
        Testbed.Result result = Testbed.run(command, Map.of("KUBERNETES_SERVICE_HOST", ""), 60, (process, line) -> { });
        assertEquals(4, result.exitCode(), result.output());
        assertTrue(result.output().contains("preflight: --bench-pods: KUBERNETES_SERVICE_HOST is not set: --bench-pods"
                + " works from a pod inside the cluster"), result.output());
        assertTrue(api.requests.isEmpty());
    }
}
