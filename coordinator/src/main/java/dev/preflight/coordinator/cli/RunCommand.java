package dev.preflight.coordinator.cli;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.security.NcclEnvAllowlist;
import dev.preflight.coordinator.discovery.BenchPods;
import dev.preflight.coordinator.discovery.DiscoveredAgent;
import dev.preflight.coordinator.discovery.Discovery;
import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.coordinator.fanout.EmbeddedAgent;
import dev.preflight.coordinator.fanout.Fanout;
import dev.preflight.coordinator.fanout.FanoutListener;
import dev.preflight.coordinator.hostnet.HostNetPhase;
import dev.preflight.coordinator.collective.BenchProfile;
import dev.preflight.coordinator.collective.BenchSettings;
import dev.preflight.coordinator.collective.AgentPortCounters;
import dev.preflight.coordinator.outliers.Outliers;
import dev.preflight.coordinator.plan.Model;
import dev.preflight.coordinator.plan.ModelCatalog;
import dev.preflight.coordinator.plan.Precision;
import dev.preflight.coordinator.run.Phase;
import dev.preflight.coordinator.run.PreflightRun;
import dev.preflight.coordinator.run.Progress;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.text.TerminalText;
import dev.preflight.proto.v1.CheckProgress;
import dev.preflight.proto.v1.NcclSetting;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunChecksRequest;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.ReportFormat;
import dev.preflight.reports.ReportWriter;
import dev.preflight.reports.TerminalSummary;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

@Command(name = "run", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Check the cluster and decide whether it can serve a multinode model.",
                "With no --agents, an agent for this node runs inside this process."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:viable (warnings allowed unless --fail-on-warn)",
            "1:not viable: at least one FAIL (even when nodes were unreachable)",
            "2:usage error: bad flags or input files",
            "3:warnings only, and --fail-on-warn was given",
            "4:incomplete with no FAIL: unreachable agents, an errored phase, an unexpected error, or stopped by "
                    + "SIGTERM/SIGINT (the partial report is written: what was measured so far, the rest marked not run; "
                    + "1 if a FAIL was already found)"})
public final class RunCommand implements Callable<Integer> {
    /**
     * The largest answer taken from an agent: a bench's results with per-iteration times (at most
     * 2 MiB per rank, the agent's bound) for up to 64 GPUs, and their NCCL logs (128 KiB each) and
     * topology (1 MiB); gRPC's default of 4 MiB would refuse an 8-GPU node's per-iteration sweep.
     */
    static final int MAX_AGENT_RESULTS_BYTES = 160 << 20;

    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "./reports",
            description = "Directory for the report files (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--format", paramLabel = "LIST", defaultValue = "json", converter = FormatsConverter.class,
            description = "Report formats, comma-separated: json, junit, md, html (default: ${DEFAULT-VALUE}).")
    Set<ReportFormat> formats;

    @Mixin
    PolicyOption policy;

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

    @Option(names = "--phases", paramLabel = "PHASE[,PHASE...]",
            description = "Phases to run, comma-separated: checks, consistency, intra_node, all_nodes, rails, "
                    + "fault_isolation, pairwise, inference, hostnet. The checks phase always runs. Default: the profile's phases; without "
                    + "--profile, checks, consistency and hostnet, and the quick profile's NCCL phases when two or more "
                    + "reachable nodes have GPUs.")
    String phasesValue;

    @Option(names = "--profile", paramLabel = "PROFILE", converter = ProfileConverter.class,
            description = "checks (the node checks, consistency and hostnet: nothing is measured with NCCL, and the "
                    + "verdict says so), quick (intra_node, all_nodes and rails at one large message, "
                    + "fault_isolation when one fails or runs slow; budget 10m) or full "
                    + "(sweeps, the four collectives, pairwise, inference shapes, hostnet; budget 60m). Default: quick "
                    + "where two or more reachable nodes have GPUs, else checks. The bench takes every GPU of every node "
                    + "while it runs.")
    RunProfile profile;

    @Option(names = "--budget", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Wall time for the bench phases together (default: the profile's); a phase that would start "
                    + "after it is skipped, and no collective's deadline outlives it.")
    Duration budget;

    @Option(names = "--max-bytes", paramLabel = "SIZE", converter = NcclSizeConverter.class,
            description = "Largest message of every bench sweep (default: the profile's; K/M/G are powers of 1024).")
    Long maxBytes;

    @Option(names = "--iters", paramLabel = "N", description = "Timed iterations per size (default: the profile's).")
    Integer iters;

    @Option(names = "--collective-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Deadline of every collective (default: derived from its sweep, at least 30s, at most the "
                    + "profile's 2m or 10m); a rank that hangs is aborted at it.")
    Duration collectiveTimeout;

    @Option(names = "--tp", paramLabel = "N",
            description = "Tensor-parallel size of the inference phase (default: the smallest node's GPU count, TP inside "
                    + "a node as the planner lays out).")
    Integer tp;

    @Option(names = "--pp", paramLabel = "N",
            description = "Pipeline-parallel size of the inference phase (default: one stage per node).")
    Integer pp;

    @Option(names = "--model", paramLabel = "NAME",
            description = "Measure what serving this catalog model costs here (with --precision): plans it onto the "
                    + "nodes' GPUs, benches that plan's TP all-reduce, PP hops and (MoE) all-to-all at its decode sizes in "
                    + "the inference phase, and judges its communication per token against the policy's tokenBudget.")
    String modelName;

    @Option(names = "--precision", paramLabel = "P", converter = PlanCommand.PrecisionConverter.class,
            description = "Weight precision of --model: fp16, bf16, fp8, int4.")
    Precision precision;

    @Option(names = "--plan", paramLabel = "FILE",
            description = "Measure this plan (the output of preflight plan -o json) instead of planning --model here.")
    Path planFile;

    @Option(names = "--context", paramLabel = "TOKENS", description = "Context per sequence --model is planned for (default: 8192).")
    Integer context;

    @Option(names = "--concurrency", paramLabel = "N", description = "Sequences --model decodes at once (default: 32).")
    Integer concurrency;

    @Option(names = "--kv-precision", paramLabel = "P", converter = PlanCommand.PrecisionConverter.class,
            description = "KV-cache precision --model is planned for: bf16 (default), fp16, fp8.")
    Precision kvPrecision;

    @Option(names = "--master-port", paramLabel = "PORT", defaultValue = "29500",
            description = "Rendezvous port every node must reach on the first node (default: ${DEFAULT-VALUE}; 0 skips).")
    int masterPort;

    @Option(names = "--hostnet-streams", paramLabel = "N", defaultValue = "4",
            description = "Parallel TCP streams per node pair in the host-network phase, 1-16 (default: ${DEFAULT-VALUE}).")
    int hostNetStreams;

    @Option(names = "--hostnet-duration", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
            description = "How long each node pair streams in the host-network phase, 100ms-30s (default: ${DEFAULT-VALUE}).")
    Duration hostNetDuration;

    @Mixin
    AgentOptions agentOptions;

    @Option(names = "--workload-env", paramLabel = "FILE",
            description = "The workload's NCCL_* settings (KEY=VALUE lines, as for docker --env-file); only variables on"
                    + " the agents' allowlist are accepted. Recorded in the report; benches run with them.")
    Path workloadEnvFile;

    @Mixin
    DiscoveryOptions discovery;

    @Mixin
    ClientSecurityOptions clientSecurity;

    @Mixin
    ClusterWriteOptions clusterWrites;

    /** Set by whichever comes first, the run's end or a signal: one of them prints and writes the report. */
    private final AtomicBoolean finishing = new AtomicBoolean();

    /** The nodes whose checks are in, for a partial report if the run is stopped during the checks. */
    private final List<NodeReport> answered = Collections.synchronizedList(new ArrayList<>());

    /** The agents' addresses once they are known, for a partial report. */
    private final List<String> addresses = Collections.synchronizedList(new ArrayList<>());

    /** Where the agents are: this process's own, the ones discovery names, or bench pods still to start. */
    private record Agents(Optional<BenchPods.Template> benchPods, Discovery.Plan plan) {
        boolean embedded() {
            return plan != null && plan.embedded();
        }
    }

    @Override
    public Integer call() throws Exception {
        Map<String, String> workloadEnv = workloadEnv();
        Agents agents = agents();
        requireKnownChecks();
        Policy loadedPolicy = policy.load();
        try (ClusterWriteOptions.Writer writer = clusterWrites.open()) {
            return run(workloadEnv, agents, loadedPolicy, writer);
        }
    }

    private int run(Map<String, String> workloadEnv, Agents agents, Policy loadedPolicy,
            ClusterWriteOptions.Writer writer) throws Exception {
        requireWritable(outDir);
        PreflightRun run = preflightRun(workloadEnv, loadedPolicy);
        String commandLine = "preflight " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        writePartialReportOnSignal(run, commandLine, workloadEnv, writer);
        Optional<PreflightReport> report = agents.embedded()
                ? Optional.of(measureWithEmbeddedAgent(run, commandLine))
                : measureWithRemoteAgents(run, commandLine, agents);
        if (report.isEmpty()) {
            return ExitCodes.INCOMPLETE;
        }
        if (!finishing.compareAndSet(false, true)) {
            // a signal is writing the partial report and will end the process
            Thread.currentThread().join();
        }
        return finish(report.get().toBuilder().putAllWorkloadEnv(workloadEnv).build(), writer);
    }

    /** Where the agents are, with the flags that only some kinds of agents take judged against it. */
    private Agents agents() throws InterruptedException {
        Optional<BenchPods.Template> benchPods = discovery.benchPods();
        // bench pods are found once they run, after every flag has been judged
        Agents agents = new Agents(benchPods, benchPods.isPresent() ? null : discovery.plan());
        if (!agents.embedded()) {
            agentOptions.rejectForRemoteAgents(nodeName);
        }
        return agents;
    }

    private void requireKnownChecks() {
        try {
            Checks.standard().select(checkIds);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--checks: " + e.getMessage());
        }
    }

    /** The run's phases, settings and progress, every flag they take checked. */
    private PreflightRun preflightRun(Map<String, String> workloadEnv, Policy loadedPolicy) {
        Scorer scorer = new Scorer(loadedPolicy);
        // A preflight run is the on-demand occasion for the model-store read, on every node at once.
        RunChecksRequest request = RunChecksRequest.newBuilder().addAllCheckIds(checkIds).setStorageRead(true).build();
        Fanout fanout = new Fanout(connectTimeout, timeout, fanoutListener());
        PrintWriter err = spec.commandLine().getErr();
        Progress progress = quiet ? Progress.QUIET : Progress.to(err, System.console() != null);
        HostNetPhase.Settings hostNet = hostNetSettings(loadedPolicy);
        PreflightRun.PlanRequest planRequest = planRequest(loadedPolicy);
        // the default run measures a cluster it finds: the quick profile, once two reachable nodes have GPUs
        boolean measureWhenGpus = profile == null && phasesValue == null;
        return new PreflightRun(fanout, new PreflightRun.Options(phases(planRequest != null), request, hostNet, scorer,
                benchSettings(workloadEnv, loadedPolicy), new AgentPortCounters(connectTimeout), planRequest, measureWhenGpus),
                progress, Clock.systemUTC());
    }

    /** Prints each node's checks as they finish and each node's reachability, and keeps the answers. */
    private FanoutListener fanoutListener() {
        PrintWriter err = spec.commandLine().getErr();
        return new FanoutListener() {
            @Override
            public void progress(String address, CheckProgress progress) {
                if (!quiet && progress.getPhase() == CheckProgress.Phase.FINISHED) {
                    synchronized (err) {
                        // an agent's answer is outside input: its check ids and errors are escaped like any other
                        err.println("preflight: " + TerminalText.escape(address) + ": "
                                + TerminalText.escape(progress.getCheckId()) + " done ("
                                + progress.getDone() + "/" + progress.getTotal() + ")");
                        err.flush();
                    }
                }
            }

            @Override
            public void nodeDone(NodeReport node) {
                answered.add(node);
                if (quiet) {
                    return;
                }
                synchronized (err) {
                    err.println("preflight: " + TerminalText.escape(node.getAddress()) + ": "
                            + node.getReachability().name().toLowerCase(Locale.ROOT)
                            + (node.getError().isEmpty() ? "" : " (" + TerminalText.escape(node.getError()) + ")"));
                    err.flush();
                }
            }
        };
    }

    private HostNetPhase.Settings hostNetSettings(Policy loadedPolicy) {
        if (hostNetStreams < 1 || hostNetStreams > 16) {
            throw new ParameterException(spec.commandLine(), "--hostnet-streams " + hostNetStreams + ": expected 1-16");
        }
        if (hostNetDuration.toMillis() < 100 || hostNetDuration.toMillis() > 30_000) {
            throw new ParameterException(spec.commandLine(), "--hostnet-duration " + hostNetDuration.toMillis()
                    + " ms: expected 100ms-30s");
        }
        return new HostNetPhase.Settings(hostNetStreams, hostNetDuration, HostNetPhase.Settings.DEFAULT.pings(), masterPort,
                loadedPolicy.outliers().rule());
    }

    /**
     * On SIGTERM/SIGINT, the partial report: what was measured so far, the rest marked not run;
     * unless the run's own end got there first.
     */
    private void writePartialReportOnSignal(PreflightRun run, String commandLine, Map<String, String> workloadEnv,
            ClusterWriteOptions.Writer writer) {
        PrintWriter err = spec.commandLine().getErr();
        Termination.onSignal(signal -> {
            String why = "preflight was stopped by " + signal;
            PreflightReport partial;
            synchronized (addresses) {
                partial = run.stoppedReport(commandLine, why, List.copyOf(answered), List.copyOf(addresses));
            }
            if (finishing.compareAndSet(false, true)) {
                err.println("preflight: " + why + ": writing the partial report");
                err.flush();
                // exit(), not halt(): the shutdown hooks still delete bench pods and stop workers
                Runtime.getRuntime().exit(finish(partial.toBuilder().putAllWorkloadEnv(workloadEnv).build(), writer));
            }
        });
    }

    /** The run against an agent inside this process, built from the agent options. */
    private PreflightReport measureWithEmbeddedAgent(PreflightRun run, String commandLine) throws IOException {
        if (clientSecurity.anyGiven()) {
            throw new ParameterException(spec.commandLine(),
                    "--tls-ca/--tls-cert/--token-file are for remote agents; the embedded agent needs none");
        }
        AgentSettings settings = agentOptions.settings(nodeName, Optional.empty()).build();
        try (EmbeddedAgent embedded = EmbeddedAgent.start(agentOptions.hostFs(), settings)) {
            addresses.add(embedded.target().address());
            return run.run(List.of(embedded.target()), commandLine, nodes -> List.of());
        }
    }

    /**
     * The run against the discovered agents, or against bench pods started for it and deleted
     * after (also on SIGTERM); empty, with the reason printed, when the pods cannot be made.
     */
    private Optional<PreflightReport> measureWithRemoteAgents(PreflightRun run, String commandLine, Agents agents)
            throws InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        ChannelCredentials credentials = clientSecurity.credentials();
        BenchPods pods = null;
        KubernetesClient kubernetes = null;
        Thread deletePods = null;
        List<AgentTarget> targets = new ArrayList<>();
        try {
            Discovery.Plan plan = agents.plan();
            if (agents.benchPods().isPresent()) {
                // a failure to create or list the pods ends the run below: one line, exit 4
                kubernetes = DiscoveryOptions.kubernetes("--bench-pods");
                pods = BenchPods.create(kubernetes, agents.benchPods().get(), UUID.randomUUID().toString(), line -> {
                    synchronized (err) {
                        err.println("preflight: " + line);
                        err.flush();
                    }
                });
                // a coordinator stopped by SIGTERM (a Job's deadline, a cancelled pipeline) still frees the GPUs
                deletePods = new Thread(pods::close, "preflight-bench-pods-delete");
                Runtime.getRuntime().addShutdownHook(deletePods);
                plan = Discovery.of(pods.await(discovery.benchPodsTimeout));
            }
            for (DiscoveredAgent agent : plan.agents()) {
                targets.add(target(agent, credentials));
                addresses.add(agent.address().toString());
            }
            Discovery.Plan found = plan;
            return Optional.of(run.run(targets, commandLine,
                    nodes -> found.expected().isEmpty() ? List.of() : List.of(found.expected().judge(nodes))));
        } catch (IOException e) {
            err.println("preflight: --bench-pods: " + e.getMessage());
            err.flush();
            return Optional.empty();
        } finally {
            for (AgentTarget target : targets) {
                target.channel().shutdownNow();
            }
            for (AgentTarget target : targets) {
                target.channel().awaitTermination(5, TimeUnit.SECONDS);
            }
            if (pods != null) {
                pods.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(deletePods);
                } catch (IllegalStateException e) {
                    // the JVM is already shutting down: the hook runs, and close() is idempotent
                }
            }
            if (kubernetes != null) {
                kubernetes.close();
            }
        }
    }

    private AgentTarget target(DiscoveredAgent agent, ChannelCredentials credentials) {
        NettyChannelBuilder channel = NettyChannelBuilder.forAddress(agent.address().host(), agent.address().port(),
                        credentials)
                .maxInboundMessageSize(MAX_AGENT_RESULTS_BYTES);
        clientSecurity.serverName().ifPresent(channel::overrideAuthority);
        return new AgentTarget(agent.address().toString(), channel.build());
    }

    /** Prints the summary, writes the report files and the cluster writes asked for, and says the exit code. */
    private int finish(PreflightReport report, ClusterWriteOptions.Writer writer) {
        PrintWriter err = spec.commandLine().getErr();
        Verdict verdict = report.getVerdict();
        boolean color = System.console() != null && System.getenv("NO_COLOR") == null;
        PrintWriter out = spec.commandLine().getOut();
        out.print(new TerminalSummary(color).render(report));
        out.flush();
        try {
            for (Path written : ReportWriter.write(report, outDir, formats)) {
                err.println("preflight: report written to " + written);
            }
            err.flush();
        } catch (IOException e) {
            err.println("preflight: cannot write the report to " + outDir + ": " + IoErrors.describe(e));
            err.flush();
            return verdict == Verdict.NOT_VIABLE ? ExitCodes.NOT_VIABLE : ExitCodes.INCOMPLETE;
        }
        int exit = exitCode(verdict, failOnWarn);
        // a write asked for and not made leaves the cluster not knowing: the run is not complete
        boolean written;
        try {
            written = writer.write(report, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("preflight: interrupted before the cluster writes were made");
            written = false;
        }
        if (!written && exit != ExitCodes.NOT_VIABLE) {
            return ExitCodes.INCOMPLETE;
        }
        return exit;
    }

    /**
     * Refuses an --out the reports cannot be written to before the run starts, not after it has
     * measured for an hour: the directory is created if missing and a file is created in it.
     */
    private void requireWritable(Path directory) {
        try {
            Files.createDirectories(directory);
            Files.delete(Files.createTempFile(directory, ".preflight-write-test", ".tmp"));
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "--out " + directory + ": cannot write reports there ("
                    + IoErrors.describe(e) + ")");
        }
    }

    /** @param plan whether a plan is measured: its inference phase then runs by default */
    private Set<Phase> phases(boolean plan) {
        if (masterPort < 0 || masterPort > 65535) {
            throw new ParameterException(spec.commandLine(), "--master-port " + masterPort + ": expected 0-65535");
        }
        if (phasesValue == null) {
            Set<Phase> phases = EnumSet.copyOf(defaultPhases(profile == null ? null : profile.bench()));
            if (profile == null) {
                phases.addAll(defaultPhases(BenchProfile.QUICK));
            }
            if (plan) {
                phases.add(Phase.INFERENCE);
            }
            return phases;
        }
        Set<Phase> phases;
        try {
            phases = Phase.parse(phasesValue);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--phases: " + e.getMessage());
        }
        if (plan && !phases.contains(Phase.INFERENCE)) {
            throw new ParameterException(spec.commandLine(), "--phases " + phasesValue
                    + ": --model/--plan are measured by the inference phase; add inference");
        }
        return phases;
    }

    /** The plan to measure from --model/--precision or --plan, every flag checked; null when neither is given. */
    private PreflightRun.PlanRequest planRequest(Policy loadedPolicy) {
        boolean loadGiven = context != null || concurrency != null || kvPrecision != null;
        if (modelName == null && planFile == null) {
            if (precision != null || loadGiven) {
                throw new ParameterException(spec.commandLine(), "--precision/--context/--concurrency/--kv-precision need --model");
            }
            return null;
        }
        if (modelName != null && planFile != null) {
            throw new ParameterException(spec.commandLine(), "give one of --model or --plan, not both");
        }
        if (tp != null || pp != null) {
            throw new ParameterException(spec.commandLine(), "--tp/--pp come from the plan when --model or --plan is given");
        }
        if (planFile != null) {
            if (precision != null || loadGiven) {
                throw new ParameterException(spec.commandLine(),
                        "--precision/--context/--concurrency/--kv-precision are fixed by --plan " + planFile);
            }
            return new PreflightRun.PlanRequest(PlanInput.read(spec.commandLine(), planFile), null, null, null, loadedPolicy);
        }
        Model model = ModelCatalog.find(modelName).orElseThrow(() -> new ParameterException(spec.commandLine(),
                "--model '" + modelName + "' is not in the catalog; known: " + ModelCatalog.names()));
        if (precision == null) {
            throw new ParameterException(spec.commandLine(), "--model needs --precision (fp16, bf16, fp8, int4)");
        }
        return new PreflightRun.PlanRequest(null, model, precision,
                PlanCommand.load(spec, context, concurrency, kvPrecision, null), loadedPolicy);
    }

    /** A profile's phases; without one (--profile checks), the phases that bench nothing. */
    static Set<Phase> defaultPhases(BenchProfile profile) {
        if (profile == null) {
            return EnumSet.of(Phase.CHECKS, Phase.CONSISTENCY, Phase.HOSTNET);
        }
        if (profile == BenchProfile.QUICK) {
            return EnumSet.of(Phase.CHECKS, Phase.CONSISTENCY, Phase.INTRA_NODE, Phase.ALL_NODES, Phase.RAILS,
                    Phase.FAULT_ISOLATION);
        }
        return EnumSet.allOf(Phase.class);
    }

    /** The bench phases' settings: the profile (quick when only --phases names bench phases) and its overrides. */
    private BenchSettings benchSettings(Map<String, String> workloadEnv, Policy loadedPolicy) {
        BenchProfile chosen = profile == null || profile.bench() == null ? BenchProfile.QUICK : profile.bench();
        if (budget != null && budget.toSeconds() < 10) {
            throw new ParameterException(spec.commandLine(), "--budget " + budget + ": must be at least 10s");
        }
        if (maxBytes != null && maxBytes < 8) {
            throw new ParameterException(spec.commandLine(), "--max-bytes " + maxBytes + ": must be at least 8");
        }
        if (iters != null && (iters < 1 || iters > 100_000)) {
            throw new ParameterException(spec.commandLine(), "--iters " + iters + ": expected 1-100000");
        }
        if (collectiveTimeout != null && collectiveTimeout.toSeconds() < 1) {
            throw new ParameterException(spec.commandLine(), "--collective-timeout " + collectiveTimeout
                    + ": must be at least 1s");
        }
        if (tp != null && (tp < 1 || tp > 65536)) {
            throw new ParameterException(spec.commandLine(), "--tp " + tp + ": expected 1-65536");
        }
        if (pp != null && (pp < 1 || pp > 65536)) {
            throw new ParameterException(spec.commandLine(), "--pp " + pp + ": expected 1-65536");
        }
        List<NcclSetting> nccl = new ArrayList<>();
        workloadEnv.forEach((name, value) -> nccl.add(NcclSetting.newBuilder().setName(name).setValue(value).build()));
        Policy.OutlierSettings o = loadedPolicy.outliers();
        // the phases repeat, and name, what the policy would call an outlier
        Optional<Outliers.Settings> outliers = o.enabled()
                ? Optional.of(new Outliers.Settings(o.madZ(), o.relativeFloor(), o.minFleet()))
                : Optional.empty();
        return new BenchSettings(chosen, maxBytes == null ? 0 : maxBytes, iters == null ? 0 : iters,
                Optional.ofNullable(collectiveTimeout), budget == null ? chosen.budget() : budget,
                tp == null ? 0 : tp, pp == null ? 0 : pp, nccl, outliers, connectTimeout);
    }

    /** --profile: checks (bench is null: nothing measured with NCCL), quick or full. */
    record RunProfile(BenchProfile bench) {}

    /** checks, quick or full. */
    static final class ProfileConverter implements ITypeConverter<RunProfile> {
        @Override
        public RunProfile convert(String value) {
            if (value.strip().equalsIgnoreCase("checks")) {
                return new RunProfile(null);
            }
            try {
                return new RunProfile(BenchProfile.parse(value));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "' is not a profile: checks, quick, full");
            }
        }
    }

    private Map<String, String> workloadEnv() {
        if (workloadEnvFile == null) {
            return Map.of();
        }
        try {
            return NcclEnvAllowlist.parseEnvFile(workloadEnvFile);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--workload-env " + e.getMessage());
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "--workload-env: cannot read " + IoErrors.describe(e));
        }
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
}
