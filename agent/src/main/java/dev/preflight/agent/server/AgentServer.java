package dev.preflight.agent.server;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.node.NodeInfoCollector;
import dev.preflight.proto.v1.AgentGrpc;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The agent's gRPC server: the Agent service plus the standard grpc.health.v1 service, on a bounded
 * executor. Health says SERVING only once the server is started and enters a terminal NOT_SERVING
 * state when shutdown begins. The builder is handed in, so tests use an in-process one.
 */
public final class AgentServer implements AutoCloseable {
    /** Calls handled at once; more are refused with RESOURCE_EXHAUSTED (see {@link ConcurrencyLimit}). */
    public static final int MAX_CONCURRENT_CALLS = 64;
    static final int WORKER_THREADS = 8;
    /** How long in-flight calls get to finish on shutdown before they are cancelled. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private final Server server;
    private final HealthStatusManager health;
    private final ExecutorService executor;

    private AgentServer(Server server, HealthStatusManager health, ExecutorService executor) {
        this.server = server;
        this.health = health;
        this.executor = executor;
    }

    public static AgentServer start(ServerBuilder<?> builder, HostFs fs, AgentSettings settings) throws IOException {
        AgentService service = new AgentService(
                new NodeInfoCollector(fs, settings, Clock.systemUTC()),
                Checks.standard(),
                new CheckRunner(fs, settings),
                fs,
                Clock.systemUTC());
        HealthStatusManager health = new HealthStatusManager();
        AtomicInteger threads = new AtomicInteger();
        // The queue holds at most what the concurrency limit admits, so it is bounded in practice.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(WORKER_THREADS, WORKER_THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), task -> {
                    Thread thread = new Thread(task, "preflight-agent-" + threads.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        executor.allowCoreThreadTimeOut(true);
        Server server = builder
                .executor(executor)
                .addService(ServerInterceptors.intercept(service, new ConcurrencyLimit(MAX_CONCURRENT_CALLS)))
                .addService(health.getHealthService())
                .build()
                .start();
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(AgentGrpc.SERVICE_NAME, ServingStatus.SERVING);
        return new AgentServer(server, health, executor);
    }

    /** The port bound, for a server started on port 0; -1 for an in-process server. */
    public int port() {
        return server.getPort();
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /** Graceful: health goes NOT_SERVING, new calls are refused, in-flight calls get a bounded grace. */
    @Override
    public void close() {
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            executor.shutdownNow();
        }
    }
}
