package dev.preflight.coordinator.cli;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.net.HostPort;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.proto.ToolVersion;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "agent",
        description = "Run the per-node agent: a gRPC server the coordinator (preflight run --agents) talks to.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM/SIGINT after a graceful shutdown",
                        "2:usage error", "4:could not start (e.g. the address is in use)"})
public final class AgentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** The default keeps an agent without TLS off the network; DaemonSets pass --listen 0.0.0.0:PORT. */
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
    HostFsOptions hostFs;

    @Mixin
    NodeCheckOptions nodeChecks;

    @Override
    public Integer call() throws Exception {
        AgentSettings settings = nodeChecks.apply(AgentSettings.builder()
                        .nodeName(nodeName == null ? "" : nodeName)
                        .checkTimeout(checkTimeout))
                .build();
        AgentServer server;
        NettyServerBuilder builder = NettyServerBuilder.forAddress(listen.toSocketAddress())
                // coordinators may keep connections alive across long benches
                .permitKeepAliveTime(20, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true);
        try {
            server = AgentServer.start(builder, hostFs.toHostFs(), settings);
        } catch (IOException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            spec.commandLine().getErr().println("preflight: cannot listen on " + listen + ": " + cause.getMessage());
            return ExitCodes.INCOMPLETE;
        }
        Thread shutdown = new Thread(server::close, "preflight-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        HostPort bound = new HostPort(listen.host(), server.port());
        PrintWriter err = spec.commandLine().getErr();
        err.println("preflight agent " + ToolVersion.get() + " serving on " + bound
                + (nodeName == null ? "" : " as node " + nodeName));
        err.flush();
        server.awaitTermination();
        return ExitCodes.VIABLE;
    }
}
