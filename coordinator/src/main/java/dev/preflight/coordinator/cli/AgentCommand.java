package dev.preflight.coordinator.cli;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.metrics.AgentMetrics;
import dev.preflight.agent.metrics.BenchSamples;
import dev.preflight.agent.metrics.MetricsHttpServer;
import dev.preflight.agent.metrics.NfdFeatureFile;
import dev.preflight.agent.metrics.PeriodicChecks;
import dev.preflight.agent.net.HostPort;
import dev.preflight.agent.node.NodeInfoCollector;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.proto.ToolVersion;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "agent", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Run the per-node agent: a gRPC server the coordinator (preflight run --agents) talks to.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM/SIGINT after a graceful shutdown",
                        "2:usage error", "4:could not start (e.g. the address is in use)"})
public final class AgentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** The default keeps an agent without TLS off the network; DaemonSets pass --listen 0.0.0.0:PORT with TLS. */
    static final String DEFAULT_LISTEN = "127.0.0.1:7744";

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = DEFAULT_LISTEN,
            converter = HostPortConverter.Listen.class,
            description = "Address to serve gRPC on; port 0 picks a free port (default: ${DEFAULT-VALUE}).")
    HostPort listen;

    @Option(names = "--node-name", paramLabel = "NAME",
            description = "Name this node reports (default: the hostname).")
    String nodeName;

    @Option(names = "--check-timeout", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "How long one check may run before it is reported as ERROR (default: ${DEFAULT-VALUE}).")
    Duration checkTimeout;

    @Mixin
    AgentOptions agentOptions;

    @Mixin
    AgentSecurityOptions security;

    @Mixin
    AgentDaemonOptions daemon;

    @Override
    public Integer call() throws Exception {
        // the metrics exist once the server runs (they are named after the node it reports)
        AtomicReference<AgentMetrics> exported = new AtomicReference<>();
        AgentSettings settings = agentOptions.settings(nodeName, Optional.of(checkTimeout))
                .benchResults(results -> {
                    AgentMetrics metrics = exported.get();
                    if (metrics != null) {
                        metrics.recordBench(BenchSamples.of(results, results.getWorkersCount()), Instant.now());
                    }
                })
                .build();
        HostFs fs = agentOptions.hostFs();
        PrintWriter err = spec.commandLine().getErr();
        ScheduledExecutorService background = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "preflight-agent-background");
            thread.setDaemon(true);
            return thread;
        });
        AgentSecurityOptions.Setup secured = security.load(listen, background);
        secured.warning().ifPresent(warning -> {
            err.println("preflight: " + warning);
            err.flush();
        });
        NettyServerBuilder builder = (secured.tls().isPresent()
                ? NettyServerBuilder.forAddress(listen.toSocketAddress(), secured.tls().get().credentials())
                : NettyServerBuilder.forAddress(listen.toSocketAddress()))
                // coordinators may keep connections alive across long benches
                .permitKeepAliveTime(20, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        AgentServer server;
        try {
            server = AgentServer.start(builder, fs, settings, secured.auth());
        } catch (IOException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            err.println("preflight: cannot listen on " + listen + ": " + cause.getMessage());
            return ExitCodes.INCOMPLETE;
        }
        List<AutoCloseable> closing = new ArrayList<>();
        if (daemon.periodic()) {
            Clock clock = Clock.systemUTC();
            GpuInventoryProbe gpuInventory = GpuInventoryProbe.shared(fs, settings.gpuSources());
            AgentMetrics metrics = new AgentMetrics(new NodeInfoCollector(fs, settings.nodeName(), settings.checks().hostViews(),
                    gpuInventory, clock).collect().getNodeName());
            metrics.bind(secured.auth());
            exported.set(metrics);
            if (daemon.metricsListen != null) {
                try {
                    MetricsHttpServer http = MetricsHttpServer.start(daemon.metricsListen.toSocketAddress(),
                            metrics::scrape, server::serving);
                    closing.add(http);
                    err.println("preflight: metrics on http://" + new HostPort(daemon.metricsListen.host(), http.port())
                            + "/metrics");
                } catch (IOException e) {
                    server.close();
                    err.println("preflight: cannot listen on " + daemon.metricsListen + " for metrics: " + e.getMessage());
                    return ExitCodes.INCOMPLETE;
                }
            }
            Optional<NfdFeatureFile> features = Optional.ofNullable(daemon.nfdFeaturesFile)
                    // labels outlive a few missed rounds, then expire with a dead agent
                    .map(file -> new NfdFeatureFile(file, daemon.interval.multipliedBy(3)));
            PeriodicChecks periodic = new PeriodicChecks(Checks.standard().all(),
                    new CheckRunner(fs, settings.checks(), gpuInventory), metrics, features, clock, err);
            closing.add(periodic);
            periodic.start(daemon.interval);
        }
        // the handler shuts down; the main thread then sees the server terminate and returns 0, as the help says
        Termination.onSignal(signal -> {
            server.close();
            for (AutoCloseable resource : closing) {
                try {
                    resource.close();
                } catch (Exception e) {
                    err.println("preflight: while shutting down: " + e.getMessage());
                }
            }
            background.shutdownNow();
        });
        HostPort bound = new HostPort(listen.host(), server.port());
        err.println("preflight agent " + ToolVersion.get() + " serving on " + bound
                + (secured.tls().isPresent() ? " (TLS)" : "")
                + (nodeName == null ? "" : " as node " + nodeName));
        err.flush();
        server.awaitTermination();
        return ExitCodes.VIABLE;
    }
}
