package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.coordinator.TestFixtures;
import dev.preflight.coordinator.collective.BenchProfile;
import dev.preflight.coordinator.run.Phase;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.JsonReport;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
    /** The fixture trees hold no GPU (gpu.present fails there); these tests are about the host checks. */
    private static final String HOST_CHECKS = "host.memlock,host.shm";

    @TempDir
    Path out;

    private List<String> embedded(String scenario, String... more) {
        List<String> args = new ArrayList<>(List.of("run", "--quiet", "--out", out.toString()));
        args.addAll(TestFixtures.rootFlags(scenario));
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void embeddedRunOnAContainerDefaultNodeIsNotViableAndTheReportParsesBack() throws Exception {
        CliResult result = CliResult.run(embedded("docker-default", "--node-name", "gpu-01"));
        assertEquals(ExitCodes.NOT_VIABLE, result.exitCode(), result.err());
        assertTrue(result.out().startsWith("preflight "), result.out());
        assertTrue(result.out().contains("verdict NOT_VIABLE"), result.out());

        PreflightReport report = JsonReport.read(out.resolve("preflight-report.json"));
        assertEquals(Verdict.NOT_VIABLE, report.getVerdict());
        assertEquals(JsonReport.SCHEMA_VERSION, report.getSchemaVersion());
        assertEquals(1, report.getNodesCount());
        NodeReport node = report.getNodes(0);
        assertEquals("gpu-01", node.getNodeName());
        assertEquals(NodeReport.Reachability.REACHABLE, node.getReachability());
        List<CheckResult> host = node.getChecksList().stream()
                .filter(c -> c.getId().equals("host.memlock") || c.getId().equals("host.shm")).toList();
        assertEquals(List.of("host.memlock", "host.shm"), host.stream().map(CheckResult::getId).toList());
        assertTrue(host.stream().allMatch(c -> c.getStatus() == CheckResult.Status.FAIL));
        assertTrue(host.stream().allMatch(c -> c.getScope() == Scope.PROCESS));
        assertTrue(report.getFinishedAt().getSeconds() >= report.getStartedAt().getSeconds());
        assertFalse(report.getReasonsList().isEmpty());
    }

    @Test
    void theJsonUsesTheDocumentedFieldNames() throws Exception {
        CliResult result = CliResult.run(embedded("memlock-unlimited", "--checks", HOST_CHECKS));
        assertEquals(ExitCodes.VIABLE, result.exitCode(), result.out() + result.err());
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("preflight-report.json"))).getAsJsonObject();
        assertEquals("VIABLE", json.get("verdict").getAsString());
        JsonObject node = json.getAsJsonArray("nodes").get(0).getAsJsonObject();
        assertFalse(node.get("hostname").getAsString().isEmpty());
        JsonObject check = node.getAsJsonArray("checks").get(0).getAsJsonObject();
        assertEquals("host.memlock", check.get("id").getAsString());
        assertEquals("PASS", check.get("status").getAsString());
        assertEquals("PROCESS", check.get("scope").getAsString());
    }

    @Test
    void warningsExitZeroUnlessFailOnWarn() {
        assertEquals(ExitCodes.VIABLE, CliResult.run(embedded("containerd-ipc-lock", "--checks", HOST_CHECKS)).exitCode());
        assertEquals(ExitCodes.WARNINGS,
                CliResult.run(embedded("containerd-ipc-lock", "--checks", HOST_CHECKS, "--fail-on-warn")).exitCode());
    }

    @Test
    void aMalformedAgentsValueIsAUsageErrorNamingIt() {
        CliResult result = CliResult.run("run", "--agents", "node1:7744,node2:77x", "--out", out.toString());
        assertEquals(ExitCodes.USAGE, result.exitCode());
        assertTrue(result.err().contains("'node2:77x' is not HOST:PORT"), result.err());
        assertTrue(result.err().contains("--help"), result.err());
        assertEquals(2, result.err().strip().split("\n").length, result.err());
        assertFalse(Files.exists(out.resolve("preflight-report.json")));
    }

    @Test
    void otherBadFlagsAreUsageErrorsToo() {
        assertEquals(ExitCodes.USAGE, CliResult.run("run", "--checks", "host.nope").exitCode());
        CliResult badRoot = CliResult.run("run", "--procfs", "/nonexistent-procfs", "--out", out.toString());
        assertEquals(ExitCodes.USAGE, badRoot.exitCode());
        assertTrue(badRoot.err().contains("--procfs /nonexistent-procfs: not a directory"), badRoot.err());
        assertEquals(ExitCodes.USAGE, CliResult.run("run", "--timeout", "30").exitCode());
        assertEquals(ExitCodes.USAGE, CliResult.run("run", "--no-such-flag").exitCode());
        assertEquals(ExitCodes.USAGE, CliResult.run("run", "--agents", "a:1", "--procfs", "/proc").exitCode());
        assertEquals(ExitCodes.USAGE, CliResult.run().exitCode());
    }

    @Test
    void badBenchFlagsAreUsageErrorsNamingTheValue() {
        CliResult profile = CliResult.run("run", "--profile", "warp");
        assertEquals(ExitCodes.USAGE, profile.exitCode());
        assertTrue(profile.err().contains("'warp' is not a profile: checks, quick, full"), profile.err());
        for (String[] bad : List.of(new String[] {"--iters", "0"}, new String[] {"--max-bytes", "4"},
                new String[] {"--collective-timeout", "0s"}, new String[] {"--budget", "5s"}, new String[] {"--tp", "0"},
                new String[] {"--pp", "-1"})) {
            CliResult result = CliResult.run("run", "--quiet", "--out", out.toString(), bad[0], bad[1]);
            assertEquals(ExitCodes.USAGE, result.exitCode(), String.join(" ", bad));
            assertTrue(result.err().contains(bad[0]), result.err());
        }
        assertEquals(ExitCodes.USAGE, CliResult.run("run", "--agents", "a:1", "--bench-dir", "/tmp").exitCode());
    }

    @Test
    void withoutAProfileNothingBenchesAndEachProfileHasItsPhases() {
        assertEquals(EnumSet.of(Phase.CHECKS, Phase.CONSISTENCY, Phase.HOSTNET), RunCommand.defaultPhases(null));
        assertEquals(EnumSet.of(Phase.CHECKS, Phase.CONSISTENCY, Phase.INTRA_NODE, Phase.ALL_NODES, Phase.RAILS,
                Phase.FAULT_ISOLATION),
                RunCommand.defaultPhases(BenchProfile.QUICK));
        assertEquals(EnumSet.allOf(Phase.class), RunCommand.defaultPhases(BenchProfile.FULL));
    }

    @Test
    void theEmbeddedAgentBenchesThisNodesGpusAndThePlannedTensorParallelGroup() throws Exception {
        String fake = System.getProperty("preflight.fake.dir");
        // the fake NCCL on a CPU takes hundreds of microseconds per op: judge its latency on a loose policy
        Path policy = Files.writeString(out.resolve("loose-latency.yaml"),
                "latency:\n  tpAllReduceWarnAbove: 100ms\n  tpAllReduceFailAbove: 1s\n");
        CliResult result = CliResult.run(embedded("memlock-unlimited", "--checks", "host.shm", "--profile", "quick",
                "--policy", policy.toString(),
                "--phases", "intra_node,inference", "--max-bytes", "64K", "--iters", "3",
                "--cudart-lib", Path.of(fake, "libfakecudart.so").toString(), "--nccl-lib", Path.of(fake, "libfakenccl.so").toString(),
                "--bench-lock-dir", out.resolve("lock").toString(), "--bench-dir", out.resolve("work").toString()));
        assertEquals(ExitCodes.VIABLE, result.exitCode(), result.err() + result.out());
        PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
        assertEquals("quick", report.getProfile());
        assertTrue(report.getPredictedSeconds() > 0);
        assertEquals(600, report.getBudgetSeconds());
        Sweep intra = report.getMeasurements().getSeries(0);
        assertEquals(Sweep.Kind.INTRA_NODE, intra.getKind());
        assertEquals(2, intra.getRanks(), "Surefire's fake runtime shows two GPUs");
        assertEquals(65536, intra.getPoints(0).getBytes(), "quick's one large message, capped by --max-bytes");
        assertEquals(2, report.getMeasurements().getGpus(0).getCount());
        // TP 2 (the node's GPUs) x PP 1: the stage's all-reduce at decode sizes 16K and 64K, per op and in graphs
        assertEquals(2, report.getMeasurements().getLatencyCount());
        for (LatencyResult latency : report.getMeasurements().getLatencyList()) {
            assertEquals("all_reduce", latency.getOp());
            assertTrue(latency.getP99Us() >= latency.getP50Us() && latency.getP50Us() > 0, latency.toString());
            assertTrue(latency.getGraphMeanUs() > 0, latency.toString());
        }
        for (RunPhase phase : report.getPhasesList()) {
            assertEquals(RunPhase.Outcome.COMPLETED, phase.getOutcome(), phase.toString());
        }
    }

    @Test
    void helpListsTheExitCodes() {
        CliResult help = CliResult.run("run", "--help");
        assertEquals(0, help.exitCode());
        assertTrue(help.out().contains("Exit codes:"), help.out());
        assertTrue(help.out().contains("4   incomplete with no FAIL"), help.out());
    }

    @Test
    void anAddressWithNoAgentIsReportedUnreachableAndTheRunIsIncomplete() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        CliResult result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> CliResult.run(
                "run", "--quiet", "--out", out.toString(), "--connect-timeout", "3s",
                "--agents", "127.0.0.1:" + closedPort));
        assertEquals(ExitCodes.INCOMPLETE, result.exitCode(), result.out() + result.err());
        PreflightReport report = JsonReport.read(out.resolve("preflight-report.json"));
        assertEquals(Verdict.INCOMPLETE, report.getVerdict());
        assertEquals(NodeReport.Reachability.UNREACHABLE, report.getNodes(0).getReachability());
        assertTrue(report.getNodes(0).getError().startsWith("UNAVAILABLE"), report.getNodes(0).getError());
    }

    @Test
    void anAgentThatAcceptsButNeverAnswersIsCutOffAtTheDeadline() throws Exception {
        // The kernel completes the TCP handshake from the backlog; nothing ever speaks HTTP/2.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CliResult result = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> CliResult.run(
                    "run", "--quiet", "--out", out.toString(), "--connect-timeout", "2s",
                    "--agents", "127.0.0.1:" + silent.getLocalPort()));
            assertEquals(ExitCodes.INCOMPLETE, result.exitCode(), result.out() + result.err());
            NodeReport node = JsonReport.read(out.resolve("preflight-report.json")).getNodes(0);
            assertEquals(NodeReport.Reachability.UNREACHABLE, node.getReachability());
            assertTrue(node.getError().startsWith("DEADLINE_EXCEEDED"), node.getError());
        }
    }

    @Test
    void aFailOnOneNodeWinsOverAnUnreachableOne() throws Exception {
        HostFs fs = HostFs.under(TestFixtures.tree("docker-default"));
        AgentServer server = AgentServer.start(
                NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                fs, AgentSettings.builder().nodeName("bad-node").build());
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        try {
            CliResult result = CliResult.run("run", "--quiet", "--out", out.toString(), "--connect-timeout", "3s",
                    "--agents", "127.0.0.1:" + server.port() + ",127.0.0.1:" + closedPort);
            assertEquals(ExitCodes.NOT_VIABLE, result.exitCode(), result.out() + result.err());
            PreflightReport report = JsonReport.read(out.resolve("preflight-report.json"));
            assertEquals(2, report.getNodesCount());
            assertEquals("bad-node", report.getNodes(0).getNodeName());
            assertEquals(NodeReport.Reachability.UNREACHABLE, report.getNodes(1).getReachability());
        } finally {
            server.close();
        }
    }
}
