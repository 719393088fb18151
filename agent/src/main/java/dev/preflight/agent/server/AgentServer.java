package dev.preflight.agent.server;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.bench.BenchService;
import dev.preflight.agent.bench.InventoryBusyProbe;
import dev.preflight.agent.bench.RdmaPorts;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.hostnet.DataListeners;
import dev.preflight.agent.hostnet.HostNetService;
import dev.preflight.agent.node.FingerprintCollector;
import dev.preflight.agent.node.NodeInfoCollector;
import dev.preflight.agent.security.AuthInterceptor;
import dev.preflight.proto.v1.AgentGrpc;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
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
    /**
     * Calls handled at once; more are refused with RESOURCE_EXHAUSTED (see {@link ConcurrencyLimit}).
     * Above a coordinator's fan-out plus scrapers and probes; cheap calls queue on the executor.
     */
    public static final int MAX_CONCURRENT_CALLS = 256;
    static final int WORKER_THREADS = 8;
    /**
     * The transport's bound on one message, above {@link RequestParsing#MAX_REQUEST_BYTES} (refused
     * with INVALID_ARGUMENT) and below gRPC's 4 MiB default, so many calls at once stay small in memory;
     * past it gRPC itself answers RESOURCE_EXHAUSTED.
     */
    static final int MAX_INBOUND_MESSAGE_BYTES = 1024 * 1024;
    /** Headers carry at most a bearer token and gRPC's own; 16 KiB is gRPC's usual default too. */
    static final int MAX_METADATA_BYTES = 16 * 1024;
    /** How long in-flight calls get to finish on shutdown before they are cancelled. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private final Server server;
    private final HealthStatusManager health;
    private final ExecutorService executor;
    private volatile boolean serving = true;

    private final DataListeners dataListeners;
    private final BenchService bench;

    private AgentServer(Server server, HealthStatusManager health, ExecutorService executor, DataListeners dataListeners,
            BenchService bench) {
        this.server = server;
        this.health = health;
        this.executor = executor;
        this.dataListeners = dataListeners;
        this.bench = bench;
    }

    /** An agent that admits every call: the embedded agent, or one on loopback. */
    public static AgentServer start(ServerBuilder<?> builder, HostFs fs, AgentSettings settings) throws IOException {
        return start(builder, fs, settings, new AuthInterceptor(Optional.empty(), Optional.empty()));
    }

    /**
     * @param auth checked before any other interceptor and any service, for every call
     */
    public static AgentServer start(ServerBuilder<?> builder, HostFs fs, AgentSettings settings, AuthInterceptor auth)
            throws IOException {
        GpuInventoryProbe gpuInventory = GpuInventoryProbe.shared(fs, settings.gpuSources());
        NodeInfoCollector nodeInfo = new NodeInfoCollector(fs, settings.nodeName(), settings.checks().hostViews(),
                gpuInventory, Clock.systemUTC());
        BenchService bench = new BenchService(settings.worker(), settings.nodeName(), settings.benchResults(),
                RdmaPorts.of(fs), settings.gpuBusyProbe().orElseGet(() -> new InventoryBusyProbe(gpuInventory)));
        AgentService service = new AgentService(
                nodeInfo,
                new FingerprintCollector(nodeInfo, settings.checks().ncclEnv()),
                Checks.standard(),
                new CheckRunner(fs, settings.checks(), gpuInventory),
                bench,
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
        DataListeners dataListeners = new DataListeners();
        ConcurrencyLimit limit = new ConcurrencyLimit(MAX_CONCURRENT_CALLS);
        Server server = builder
                .executor(executor)
                .maxInboundMetadataSize(MAX_METADATA_BYTES)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .intercept(auth)
                .addService(ServerInterceptors.intercept(RequestParsing.strict(service.bindService()), limit))
                .addService(ServerInterceptors.intercept(RequestParsing.strict(new HostNetService(dataListeners).definition()), limit))
                .addService(RequestParsing.strict(health.getHealthService().bindService()))
                .build()
                .start();
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(AgentGrpc.SERVICE_NAME, ServingStatus.SERVING);
        return new AgentServer(server, health, executor, dataListeners, bench);
    }

    /** The port bound, for a server started on port 0; -1 for an in-process server. */
    public int port() {
        return server.getPort();
    }

    /** True from start until shutdown begins: what /healthz reports. */
    public boolean serving() {
        return serving;
    }

    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /**
     * Graceful: health goes NOT_SERVING, new calls are refused, in-flight calls get a bounded grace.
     * Idempotent: a shutdown hook and a test may both call it.
     */
    @Override
    public synchronized void close() {
        if (!serving) {
            return;
        }
        serving = false;
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
            dataListeners.close();
            executor.shutdownNow();
            bench.close();
        }
    }
}
