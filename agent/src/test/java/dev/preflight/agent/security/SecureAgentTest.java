package dev.preflight.agent.security;

import dev.preflight.agent.check.Checks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.Fixtures;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.GetNodeInfoRequest;
import dev.preflight.proto.v1.RunChecksEvent;
import dev.preflight.proto.v1.RunChecksRequest;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mTLS and the bearer token end to end: a real Netty server on loopback, certificates made here. */
class SecureAgentTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki stranger;
    static TestPki.Issued serverCert;
    static TestPki.Issued clientCert;
    static TestPki.Issued strangerCert;
    static Path tokenFile;
    static ScheduledExecutorService reloader;

    private AgentServer server;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        pki = TestPki.create(dir, "cluster");
        stranger = TestPki.create(dir, "stranger");
        serverCert = pki.server("agent", "127.0.0.1", "agents.preflight.test");
        clientCert = pki.client("coordinator");
        strangerCert = stranger.client("coordinator");
        tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, TOKEN + "\n");
        reloader = Executors.newSingleThreadScheduledExecutor();
    }

    @AfterAll
    static void stopReloader() {
        reloader.shutdownNow();
    }

    @AfterEach
    void stop() throws Exception {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (server != null) {
            server.close();
        }
    }

    /** A TLS agent with {@code cert}, or a plaintext one when it is null. */
    private int startAgent(TestPki.Issued cert, boolean requireClientCert, boolean requireToken) throws Exception {
        ServerTls tls = cert == null ? null
                : ServerTls.load(cert.cert(), cert.key(), requireClientCert ? pki.caFile() : null, reloader);
        AuthInterceptor auth = new AuthInterceptor(
                requireToken ? Optional.of(BearerToken.readFile(tokenFile)) : Optional.empty(),
                tls == null ? Optional.empty() : tls.clientVerifier());
        InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        server = AgentServer.start(tls == null ? NettyServerBuilder.forAddress(loopback)
                        : NettyServerBuilder.forAddress(loopback, tls.credentials()),
                Fixtures.hostFs("docker-default"), AgentSettings.builder().nodeName("gpu-01").build(), auth);
        return server.port();
    }

    private AgentGrpc.AgentBlockingStub client(int port, ChannelCredentials credentials, String authority) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress("127.0.0.1", port, credentials);
        if (authority != null) {
            builder.overrideAuthority(authority);
        }
        ManagedChannel channel = builder.build();
        channels.add(channel);
        return AgentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static BearerToken token(String value) {
        return BearerToken.of(value, "test");
    }

    private static void assertUnauthenticated(String expected, Runnable call) {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused.toString());
        assertTrue(refused.getStatus().getDescription().contains(expected), refused.getStatus().getDescription());
    }

    @Test
    void clientCertificateAndTokenGetAnswers() throws Exception {
        int port = startAgent(serverCert, true, true);
        AgentGrpc.AgentBlockingStub agent = client(port,
                ClientTls.credentials(pki.caFile(), clientCert.cert(), clientCert.key(), token(TOKEN)), null);
        assertEquals("gpu-01", agent.getNodeInfo(GetNodeInfoRequest.getDefaultInstance()).getNodeName());
        Iterator<RunChecksEvent> events = agent.runChecks(RunChecksRequest.getDefaultInstance());
        RunChecksEvent last = null;
        while (events.hasNext()) {
            last = events.next();
        }
        assertEquals(Checks.standard().all().size(), last.getResults().getChecksCount());
    }

    @Test
    void missingWrongOrStrangerCredentialsAreRefusedBeforeAnythingRuns() throws Exception {
        int port = startAgent(serverCert, true, true);
        AgentGrpc.AgentBlockingStub noToken = client(port,
                ClientTls.credentials(pki.caFile(), clientCert.cert(), clientCert.key(), null), null);
        assertUnauthenticated("no bearer token", () -> noToken.getNodeInfo(GetNodeInfoRequest.getDefaultInstance()));
        // a streaming call refused before the handler: no progress event ever comes
        assertUnauthenticated("no bearer token", () -> noToken.runChecks(RunChecksRequest.getDefaultInstance()).next());

        AgentGrpc.AgentBlockingStub wrongToken = client(port, ClientTls.credentials(pki.caFile(), clientCert.cert(),
                clientCert.key(), token("ffffffffffffffffffffffffffffffff")), null);
        assertUnauthenticated("wrong bearer token", () -> wrongToken.runChecks(RunChecksRequest.getDefaultInstance()).next());

        AgentGrpc.AgentBlockingStub noCertificate = client(port,
                ClientTls.credentials(pki.caFile(), null, null, token(TOKEN)), null);
        assertUnauthenticated("no client certificate",
                () -> noCertificate.getNodeInfo(GetNodeInfoRequest.getDefaultInstance()));

        AgentGrpc.AgentBlockingStub strangerCertificate = client(port,
                ClientTls.credentials(pki.caFile(), strangerCert.cert(), strangerCert.key(), token(TOKEN)), null);
        assertUnauthenticated("is not trusted by the agent's client CA",
                () -> strangerCertificate.runChecks(RunChecksRequest.getDefaultInstance()).next());
    }

    @Test
    void healthIsGuardedToo() throws Exception {
        int port = startAgent(serverCert, true, true);
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port,
                ClientTls.credentials(pki.caFile(), clientCert.cert(), clientCert.key(), null)).build();
        channels.add(channel);
        assertUnauthenticated("no bearer token", () -> HealthGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
    }

    @Test
    void aCertificateForAServiceNameServesAgentsReachedByIpWithTheNameOverride() throws Exception {
        TestPki.Issued byName = pki.server("agents", "agents.preflight.test");
        int port = startAgent(byName, false, false);
        ChannelCredentials tls = ClientTls.credentials(pki.caFile(), null, null, null);
        StatusRuntimeException mismatch = assertThrows(StatusRuntimeException.class,
                () -> client(port, tls, null).getNodeInfo(GetNodeInfoRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAVAILABLE, mismatch.getStatus().getCode());
        assertEquals("gpu-01", client(port, tls, "agents.preflight.test")
                .getNodeInfo(GetNodeInfoRequest.getDefaultInstance()).getNodeName());
    }

    @Test
    void overPlaintextTheTokenIsSentAndAcceptedOnLoopbackOnly() throws Exception {
        int port = startAgent(null, false, true);
        ChannelCredentials plaintext = ClientTls.credentials(null, null, null, token(TOKEN));
        assertEquals("gpu-01", client(port, plaintext, null).getNodeInfo(GetNodeInfoRequest.getDefaultInstance())
                .getNodeName());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () ->
                client(port, plaintext, "198.18.0.7:7744")
                        .getNodeInfo(GetNodeInfoRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode());
        assertTrue(refused.getStatus().getDescription().contains("without TLS"), refused.toString());
    }
}
