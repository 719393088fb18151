package dev.preflight.agent.hostnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.Fixtures;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.proto.v1.CloseListenerRequest;
import dev.preflight.proto.v1.HostNetGrpc;
import dev.preflight.proto.v1.ListenerInfo;
import dev.preflight.proto.v1.MeasurePeerRequest;
import dev.preflight.proto.v1.OpenListenerRequest;
import dev.preflight.proto.v1.PeerMeasurement;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two agents on loopback: one listens, the other measures the path to it. */
class HostNetServiceTest {
    private AgentServer a;
    private AgentServer b;
    private ManagedChannel toA;
    private ManagedChannel toB;

    @BeforeEach
    void start() throws Exception {
        a = agent();
        b = agent();
        toA = NettyChannelBuilder.forAddress("127.0.0.1", a.port()).usePlaintext().build();
        toB = NettyChannelBuilder.forAddress("127.0.0.1", b.port()).usePlaintext().build();
    }

    private static AgentServer agent() throws Exception {
        return AgentServer.start(NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                Fixtures.hostFs("memlock-unlimited"), AgentSettings.builder().build());
    }

    @AfterEach
    void stop() throws Exception {
        toA.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        toB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        a.close();
        b.close();
    }

    private static HostNetGrpc.HostNetBlockingStub stub(ManagedChannel channel) {
        return HostNetGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static MeasurePeerRequest.Builder measure(ListenerInfo listener) {
        return MeasurePeerRequest.newBuilder().setHost(listener.getHost()).setPort(listener.getPort())
                .setToken(listener.getToken()).setStreams(2).setDurationMillis(300).setPings(50);
    }

    @Test
    void throughputRoundTripsAndTheRendezvousPortAreMeasured() throws Exception {
        int rendezvous;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            rendezvous = probe.getLocalPort();
        }
        ListenerInfo listener = stub(toA).openListener(OpenListenerRequest.newBuilder()
                .setRendezvousPort(rendezvous).setLifetimeSeconds(60).build());
        assertEquals("127.0.0.1", listener.getHost(), "bound to the address the caller reached the agent on");
        assertTrue(listener.getRendezvousListening(), listener.getRendezvousError());

        PeerMeasurement m = stub(toB).measurePeer(measure(listener).setRendezvousPort(rendezvous).build());
        assertEquals("", m.getError());
        assertTrue(m.getBytes() > 0);
        assertTrue(m.getThroughputBytesPerSecond() > 0);
        assertTrue(m.getElapsedSeconds() >= 0.3, "senders ran for the requested time: " + m.getElapsedSeconds());
        assertTrue(m.getRttP50Micros() > 0 && m.getRttP99Micros() >= m.getRttP50Micros());
        assertTrue(m.getRendezvousReachable(), m.getRendezvousError());
    }

    @Test
    void aWrongTokenGetsNothingAndAClosedListenerIsRefused() {
        ListenerInfo listener = stub(toA).openListener(OpenListenerRequest.newBuilder().setLifetimeSeconds(60).build());
        PeerMeasurement wrong = stub(toB).measurePeer(measure(listener)
                .setToken(ByteString.copyFrom(new byte[16])).build());
        assertFalse(wrong.getError().isEmpty(), "the listener dropped a connection without its token");

        stub(toA).closeListener(CloseListenerRequest.newBuilder().setListenerId(listener.getListenerId()).build());
        PeerMeasurement closed = stub(toB).measurePeer(measure(listener).build());
        assertTrue(closed.getError().contains("Connection refused"), closed.getError());
        StatusRuntimeException again = assertThrows(StatusRuntimeException.class, () -> stub(toA)
                .closeListener(CloseListenerRequest.newBuilder().setListenerId(listener.getListenerId()).build()));
        assertEquals(Status.Code.NOT_FOUND, again.getStatus().getCode());
    }

    @Test
    void aListenerClosesWhenItsLifetimeEnds() throws Exception {
        ListenerInfo listener = stub(toA).openListener(OpenListenerRequest.newBuilder().setLifetimeSeconds(1).build());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        PeerMeasurement m;
        do {
            Thread.sleep(250);
            m = stub(toB).measurePeer(measure(listener).setPings(0).setDurationMillis(100).build());
        } while (m.getError().isEmpty() && System.nanoTime() < deadline);
        assertTrue(m.getError().contains("Connection refused"), m.getError());
    }

    @Test
    void requestsOutOfBoundsAreInvalidArgumentsNamingTheField() {
        ListenerInfo listener = stub(toA).openListener(OpenListenerRequest.newBuilder().setLifetimeSeconds(60).build());
        StatusRuntimeException streams = assertThrows(StatusRuntimeException.class,
                () -> stub(toB).measurePeer(measure(listener).setStreams(17).build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, streams.getStatus().getCode());
        assertTrue(streams.getStatus().getDescription().startsWith("streams: 17 is outside 0-16"));
        StatusRuntimeException lifetime = assertThrows(StatusRuntimeException.class,
                () -> stub(toA).openListener(OpenListenerRequest.newBuilder().setLifetimeSeconds(601).build()));
        assertTrue(lifetime.getStatus().getDescription().startsWith("lifetime_seconds: 601"));
        assertEquals("token: 3 bytes, expected 16", HostNetService.validate(measure(listener)
                .setToken(ByteString.copyFrom(new byte[3])).build()));
        assertEquals("duration_millis: 50 is outside 100-30000",
                HostNetService.validate(measure(listener).setDurationMillis(50).build()));
    }

    @Test
    void anInProcessAgentHasNoNetworkToMeasure() throws Exception {
        String name = "hostnet-" + UUID.randomUUID();
        AgentServer embedded = AgentServer.start(InProcessServerBuilder.forName(name),
                Fixtures.hostFs("memlock-unlimited"), AgentSettings.builder().build());
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub(channel)
                    .openListener(OpenListenerRequest.newBuilder().setLifetimeSeconds(5).build()));
            assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
        } finally {
            channel.shutdownNow();
            embedded.close();
        }
    }

    @Test
    void nearestRankPercentiles() {
        long[] sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, PeerProbe.percentile(sorted, 0.5));
        assertEquals(10, PeerProbe.percentile(sorted, 0.99));
        assertEquals(1, PeerProbe.percentile(new long[] {1}, 0.99));
    }
}
