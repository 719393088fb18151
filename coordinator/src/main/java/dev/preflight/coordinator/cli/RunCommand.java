package dev.preflight.coordinator.cli;

import com.google.protobuf.Timestamp;
import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.net.HostPort;
import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.coordinator.fanout.EmbeddedAgent;
import dev.preflight.coordinator.fanout.Fanout;
import dev.preflight.coordinator.fanout.FanoutListener;
import dev.preflight.coordinator.score.Verdicts;
import dev.preflight.proto.ToolVersion;
import dev.preflight.proto.v1.CheckProgress;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunChecksRequest;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.JsonReport;
import dev.preflight.reports.TerminalSummary;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "run",
        description = {"Check the cluster and decide whether it can serve a multinode model.",
                "With no --agents, an agent for this node runs inside this process."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:viable (warnings allowed unless --fail-on-warn)",
            "1:not viable: at least one FAIL (even when nodes were unreachable)",
            "2:usage error: bad flags or input files",
            "3:warnings only, and --fail-on-warn was given",
            "4:incomplete with no FAIL: unreachable agents, an errored phase, an unexpected error"})
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--agents", paramLabel = "HOST:PORT", split = ",", converter = HostPortConverter.class,
            description = "Remote agents, comma-separated (e.g. node1:7744,node2:7744). Default: an embedded agent for this node.")
    List<HostPort> agents = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "./reports",
            description = "Directory for the report files (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--fail-on-warn", description = "Exit 3 when the verdict has warnings but no failure.")
    boolean failOnWarn;

    @Option(names = "--checks", paramLabel = "ID", split = ",",
            description = "Run only these check ids (see the report's checks[].id); default: all.")
    List<String> checkIds = new ArrayList<>();

    @Option(names = "--connect-timeout", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "Deadline for an agent to answer at all (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "120s", converter = DurationConverter.class,
            description = "Deadline for an agent's node checks (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--node-name", paramLabel = "NAME",
            description = "Name the embedded agent reports (default: the hostname).")
    String nodeName;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    @Mixin
    HostFsOptions hostFs;

    @Mixin
    NodeCheckOptions nodeChecks;

    @Override
    public Integer call() throws Exception {
        if (!agents.isEmpty() && (hostFs.anyGiven() || nodeName != null || nodeChecks.anyGiven())) {
            throw new ParameterException(spec.commandLine(),
                    "--procfs/--sysfs/--devfs/--rootfs/--node-name/--host-views/--model-store/--storage-read-bytes/--threshold "
                            + "apply to the embedded agent only; give them to each remote agent (preflight agent ...)");
        }
        try {
            Checks.standard().select(checkIds);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--checks: " + e.getMessage());
        }
        Clock clock = Clock.systemUTC();
        Instant started = clock.instant();
        PrintWriter err = spec.commandLine().getErr();
        FanoutListener listener = quiet ? FanoutListener.NONE : new FanoutListener() {
            @Override
            public void progress(String address, CheckProgress progress) {
                if (progress.getPhase() == CheckProgress.Phase.FINISHED) {
                    synchronized (err) {
                        err.println("preflight: " + address + ": " + progress.getCheckId() + " done ("
                                + progress.getDone() + "/" + progress.getTotal() + ")");
                        err.flush();
                    }
                }
            }

            @Override
            public void nodeDone(NodeReport node) {
                synchronized (err) {
                    err.println("preflight: " + node.getAddress() + ": " + node.getReachability().name().toLowerCase(Locale.ROOT)
                            + (node.getError().isEmpty() ? "" : " (" + node.getError() + ")"));
                    err.flush();
                }
            }
        };
        // A preflight run is the on-demand occasion for the model-store read, on every node at once.
        RunChecksRequest request = RunChecksRequest.newBuilder().addAllCheckIds(checkIds).setStorageRead(true).build();
        Fanout fanout = new Fanout(connectTimeout, timeout, listener);

        List<NodeReport> nodes;
        if (agents.isEmpty()) {
            AgentSettings settings = nodeChecks.apply(AgentSettings.builder().nodeName(nodeName == null ? "" : nodeName)).build();
            try (EmbeddedAgent embedded = EmbeddedAgent.start(hostFs.toHostFs(), settings)) {
                nodes = fanout.run(List.of(embedded.target()), request);
            }
        } else {
            List<AgentTarget> targets = new ArrayList<>();
            for (HostPort agent : agents) {
                ManagedChannel channel = NettyChannelBuilder.forAddress(agent.host(), agent.port())
                        .usePlaintext()
                        .build();
                targets.add(new AgentTarget(agent.toString(), channel));
            }
            try {
                nodes = fanout.run(targets, request);
            } finally {
                for (AgentTarget target : targets) {
                    target.channel().shutdownNow();
                }
                for (AgentTarget target : targets) {
                    target.channel().awaitTermination(5, TimeUnit.SECONDS);
                }
            }
        }

        Verdicts.Decision decision = Verdicts.decide(nodes, List.of());
        PreflightReport report = PreflightReport.newBuilder()
                .setSchemaVersion(JsonReport.SCHEMA_VERSION)
                .setToolVersion(ToolVersion.get())
                .setStartedAt(timestamp(started))
                .setFinishedAt(timestamp(clock.instant()))
                .setVerdict(decision.verdict())
                .addAllReasons(decision.reasons())
                .addAllNodes(nodes)
                .setCommandLine("preflight " + String.join(" ", spec.commandLine().getParseResult().originalArgs()))
                .build();

        boolean color = System.console() != null && System.getenv("NO_COLOR") == null;
        PrintWriter out = spec.commandLine().getOut();
        out.print(new TerminalSummary(color).render(report));
        out.flush();
        try {
            Path written = JsonReport.write(report, outDir);
            err.println("preflight: report written to " + written);
            err.flush();
        } catch (IOException e) {
            err.println("preflight: cannot write the report to " + outDir + ": " + e.getMessage());
            err.flush();
            return decision.verdict() == Verdict.NOT_VIABLE ? ExitCodes.NOT_VIABLE : ExitCodes.INCOMPLETE;
        }
        return exitCode(decision.verdict(), failOnWarn);
    }

    static int exitCode(Verdict verdict, boolean failOnWarn) {
        switch (verdict) {
            case VIABLE:
                return ExitCodes.VIABLE;
            case VIABLE_WITH_WARNINGS:
                return failOnWarn ? ExitCodes.WARNINGS : ExitCodes.VIABLE;
            case NOT_VIABLE:
                return ExitCodes.NOT_VIABLE;
            default:
                return ExitCodes.INCOMPLETE;
        }
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
