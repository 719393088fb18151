package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.security.AuthInterceptor;
import dev.preflight.agent.security.BearerToken;
import dev.preflight.agent.security.ServerTls;
import dev.preflight.agent.security.TestPki;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.coordinator.discovery.ExpectedNodes;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code preflight run} against a real agent on loopback that requires a client certificate and a
 * token: the coordinator's flags reach it, and a missing node or a refused coordinator is a FAIL.
 */
class SecureRunTest {
    private static final String TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed";

    @TempDir
    Path dir;
    private TestPki pki;
    private TestPki.Issued client;
    private Path tokenFile;
    private AgentServer agent;
    private ScheduledExecutorService reloader;
    private final StringWriter err = new StringWriter();

    @BeforeEach
    void startAgent() throws Exception {
        pki = TestPki.create(dir, "cluster");
        TestPki.Issued server = pki.server("agent", "127.0.0.1");
        client = pki.client("coordinator");
        tokenFile = Files.writeString(dir.resolve("token"), TOKEN);
        reloader = Executors.newSingleThreadScheduledExecutor();
        ServerTls tls = ServerTls.load(server.cert(), server.key(), pki.caFile(), reloader);
        agent = AgentServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0), tls.credentials()),
                HostFs.defaults(), AgentSettings.builder().nodeName("gpu-01").build(),
                new AuthInterceptor(Optional.of(BearerToken.readFile(tokenFile)), tls.clientVerifier()));
    }

    @AfterEach
    void stop() {
        agent.close();
        reloader.shutdownNow();
    }

    private int run(String... args) {
        return Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
    }

    private PreflightReport report() throws Exception {
        return JsonReport.read(dir.resolve("out").resolve(JsonReport.FILE_NAME));
    }

    private CheckResult expectedNodes(PreflightReport report) {
        assertEquals(1, report.getClusterChecksCount());
        CheckResult check = report.getClusterChecks(0);
        assertEquals(ExpectedNodes.CHECK_ID, check.getId());
        return check;
    }

    @Test
    void withCertificateAndTokenTheNodeAnswersAndIsTheExpectedOne() throws Exception {
        run("run", "--agents", "127.0.0.1:" + agent.port(), "--tls-ca", pki.caFile().toString(),
                "--tls-cert", client.cert().toString(), "--tls-key", client.key().toString(),
                "--token-file", tokenFile.toString(), "--expect-nodes", "gpu-01", "--out", dir.resolve("out").toString());
        PreflightReport report = report();
        assertEquals(NodeReport.Reachability.REACHABLE, report.getNodes(0).getReachability(), err.toString());
        assertEquals("gpu-01", report.getNodes(0).getNodeName());
        CheckResult expected = expectedNodes(report);
        assertEquals(CheckResult.Status.PASS, expected.getStatus(), expected.toString());
        assertEquals("all 1 expected node(s) answered", expected.getSummary());
    }

    @Test
    void aMissingExpectedNodeIsAFailNamingIt() throws Exception {
        int exit = run("run", "--agents", "127.0.0.1:" + agent.port(), "--tls-ca", pki.caFile().toString(),
                "--tls-cert", client.cert().toString(), "--tls-key", client.key().toString(),
                "--token-file", tokenFile.toString(), "--expect-nodes", "gpu-[01-02]", "--out", dir.resolve("out").toString());
        assertEquals(ExitCodes.NOT_VIABLE, exit, err.toString());
        CheckResult expected = expectedNodes(report());
        assertEquals(CheckResult.Status.FAIL, expected.getStatus());
        assertEquals("1 of 2 expected node(s) did not answer: gpu-02 (no agent found)", expected.getSummary());
        assertTrue(report().getReasons(0).startsWith("cluster: cluster.expected_nodes FAIL: 1 of 2"),
                report().getReasonsList().toString());
    }

    @Test
    void aCoordinatorWithoutTheTokenIsRefusedAndItsExpectedNodeCountsAsMissing() throws Exception {
        int exit = run("run", "--agents", "127.0.0.1:" + agent.port(), "--tls-ca", pki.caFile().toString(),
                "--tls-cert", client.cert().toString(), "--tls-key", client.key().toString(),
                "--expect-nodes", "1", "--out", dir.resolve("out").toString());
        assertEquals(ExitCodes.NOT_VIABLE, exit, err.toString());
        NodeReport node = report().getNodes(0);
        assertEquals(NodeReport.Reachability.UNREACHABLE, node.getReachability());
        assertTrue(node.getError().startsWith("UNAUTHENTICATED: no bearer token"), node.getError());
        CheckResult expected = expectedNodes(report());
        assertEquals("expected at least 1 node(s), 0 answered", expected.getSummary());
    }

    @Test
    void badSecurityFlagsAreUsageErrors() {
        assertEquals(ExitCodes.USAGE, run("run", "--agents", "127.0.0.1:1", "--tls-cert", client.cert().toString(),
                "--tls-key", client.key().toString()));
        assertTrue(err.toString().contains("--tls-cert needs TLS: give the agents' CA with --tls-ca"), err.toString());
        assertEquals(ExitCodes.USAGE, run("run", "--agents", "127.0.0.1:1", "--tls-ca", client.key().toString()));
        assertTrue(err.toString().contains(client.key() + ": no certificate in it"), err.toString());
        assertEquals(ExitCodes.USAGE, run("run", "--agents", "dns:///agents.example:7744"));
        assertTrue(err.toString().contains("say which nodes must answer with --expect-nodes"), err.toString());
    }
}
