package dev.preflight.coordinator.fanout;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.server.AgentServer;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * An agent for this node inside the coordinator's own process, reached over an in-process gRPC
 * channel: zero set-up, and the same service and client code as a remote agent.
 */
public final class EmbeddedAgent implements AutoCloseable {
    public static final String ADDRESS = "embedded";

    private final AgentServer server;
    private final ManagedChannel channel;

    private EmbeddedAgent(AgentServer server, ManagedChannel channel) {
        this.server = server;
        this.channel = channel;
    }

    public static EmbeddedAgent start(HostFs fs, AgentSettings settings) throws IOException {
        String name = "preflight-embedded-" + UUID.randomUUID();
        AgentServer server = AgentServer.start(InProcessServerBuilder.forName(name), fs, settings);
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        return new EmbeddedAgent(server, channel);
    }

    public AgentTarget target() {
        return new AgentTarget(ADDRESS, channel);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
    }
}
