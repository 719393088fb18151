package dev.preflight.coordinator.cli;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.bench.BenchMemory;
import dev.preflight.agent.bench.WorkerSettings;
import dev.preflight.coordinator.collective.BenchContext;
import dev.preflight.coordinator.collective.Estimate;
import dev.preflight.coordinator.collective.IntraNodePhase;
import dev.preflight.coordinator.collective.NcclLibraryCheck;
import dev.preflight.coordinator.collective.Sweeps;
import dev.preflight.coordinator.fanout.EmbeddedAgent;
import dev.preflight.coordinator.run.PreflightRun;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.files.AtomicFiles;
import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.CreateCommIdRequest;
import dev.preflight.proto.v1.CreateCommIdResponse;
import dev.preflight.proto.v1.GetNodeInfoRequest;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.Measurements.NodeGpus;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.NcclSetting;
import dev.preflight.proto.v1.NodeInfo;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PeerPair;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunCollectiveEvent;
import dev.preflight.proto.v1.RunCollectiveRequest;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.v1.SizeProgress;
import dev.preflight.proto.v1.WrongRank;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.reports.Names;
import dev.preflight.reports.NcclTestsJson;
import dev.preflight.reports.ReportFormat;
import dev.preflight.reports.ReportWriter;
import dev.preflight.reports.TerminalSummary;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Benchmark NCCL collectives among this node's GPUs, nccl-tests' way: one worker process per "
                + "GPU, warm-up, a barrier, timed iterations averaged over the ranks, every result validated.",
                "Prints nccl-tests' table and writes the report preflight run writes: every row in its "
                        + "collectives, the sweeps in its measurements (charted by the HTML report), the all-reduce "
                        + "judged against the GPU part's intra-node band, the workers' NCCL logs and the transport "
                        + "NCCL really used. Sizes too large for the GPUs' free memory are capped, and the run says so."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:every collective completed with correct data on a proven transport",
            "1:wrong data, a hang, an all-reduce below its band, or NCCL fell back to sockets where InfiniBand/RoCE is up",
            "2:usage error: bad flags",
            "3:warnings only, and --fail-on-warn was given",
            "4:incomplete: the bench could not run or a call failed"})
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--op", paramLabel = "OP", split = ",", converter = OpConverter.class, defaultValue = "all_reduce",
            description = "Collectives, comma-separated: all_reduce, all_gather, reduce_scatter, alltoall, sendrecv "
                    + "(default: ${DEFAULT-VALUE}).")
    List<BenchSpec.Op> ops;

    @Option(names = "--dtype", paramLabel = "TYPE", split = ",", converter = DataTypeConverter.class,
            defaultValue = "float32", description = "float32, float16, bfloat16 (default: ${DEFAULT-VALUE}).")
    List<BenchSpec.DataType> dtypes;

    @Option(names = "--min-bytes", paramLabel = "SIZE", defaultValue = "8", converter = NcclSizeConverter.class,
            description = "Smallest size, nccl-tests' \"size\" column: 8, 64K, 8G (K/M/G/T are powers of 1024; "
                    + "default: ${DEFAULT-VALUE}).")
    long minBytes;

    @Option(names = "--max-bytes", paramLabel = "SIZE", defaultValue = "1G", converter = NcclSizeConverter.class,
            description = "Largest size; capped to what the GPUs' free memory holds (default: ${DEFAULT-VALUE}, "
                    + "above the 256M from which the policy reads bus bandwidth).")
    long maxBytes;

    @Option(names = "--step-factor", paramLabel = "N", defaultValue = "2",
            description = "Multiply the size by this between steps (default: ${DEFAULT-VALUE}).")
    int stepFactor;

    @Option(names = "--iters", paramLabel = "N", defaultValue = "20",
            description = "Timed iterations per size (default: ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--warmup-iters", paramLabel = "N", defaultValue = "1",
            description = "Untimed iterations before each size (default: ${DEFAULT-VALUE}).")
    int warmupIters;

    @Option(names = "--graph", paramLabel = "K", defaultValue = "0",
            description = "Capture the iterations in a CUDA graph and launch it K times (0: no graph; default: ${DEFAULT-VALUE}).")
    int graphLaunches;

    @Option(names = "--per-iteration",
            description = "Time every op with CUDA events and report p50/p99 latency (not with --graph).")
    boolean perIteration;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
            description = "Deadline for the whole bench; a hung collective is aborted at it (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--gpus", paramLabel = "INDEX", split = ",",
            description = "CUDA device indices to bench (default: every GPU the CUDA runtime sees).")
    List<Integer> gpus = new ArrayList<>();

    @Option(names = "--peers", paramLabel = "SENDER:RECEIVER", split = ",", converter = PeerPairConverter.class,
            description = "For sendrecv: explicit rank pairs instead of nccl-tests' ring (e.g. 0:1,2:3).")
    List<PeerPair> peers = new ArrayList<>();

    @Option(names = "--nccl-setting", paramLabel = "NAME=VALUE",
            description = "An NCCL variable for the workers, from the agent's allowlist (NCCL_ALGO, NCCL_PROTO, "
                    + "NCCL_IB_HCA, ...); repeatable.")
    List<String> ncclSettings = new ArrayList<>();

    @Option(names = "--no-check", description = "Skip data validation (nccl-tests -c 0).")
    boolean noCheck;

    @Option(names = "--validate-max-bytes", paramLabel = "SIZE", defaultValue = "1G", converter = NcclSizeConverter.class,
            description = "Validate every output element up to this size per GPU, sampled stripes above "
                    + "(default: ${DEFAULT-VALUE}).")
    long validateMaxBytes;

    @Option(names = "--force", description = "Bench even when other processes use the GPUs.")
    boolean force;

    @Option(names = "--expect-nccl", paramLabel = "VERSION",
            description = "The NCCL version the serving engine runs (e.g. 2.27.3): nccl.library warns when the bench "
                    + "loaded another.")
    String expectNccl;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "./reports",
            description = "Directory for the report and the artifacts/ folder (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--format", paramLabel = "LIST", defaultValue = "json", converter = FormatsConverter.class,
            description = "Report formats, comma-separated: json, junit, md, html (default: ${DEFAULT-VALUE}).")
    Set<ReportFormat> formats;

    @Option(names = "--nccl-tests-json", paramLabel = "FILE",
            description = "Also write the results as nccl-tests 2.19 writes them with -J (its tools/analyze_perf_json.py "
                    + "reads them; with --per-iteration, every rank's time of every iteration).")
    Path ncclTestsJson;

    @Option(names = "--node-name", paramLabel = "NAME", description = "Name this node reports (default: the hostname).")
    String nodeName;

    @Option(names = "--fail-on-warn", description = "Exit 3 when the verdict has warnings but no failure.")
    boolean failOnWarn;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    @Mixin
    BenchLibraryOptions libraries;

    @Mixin
    HostFsOptions hostFs;

    @Mixin
    PolicyOption policy;

    @Override
    public Integer call() throws Exception {
        if (expectNccl != null && !NcclLibraryCheck.VERSION.matcher(expectNccl).matches()) {
            throw new ParameterException(spec.commandLine(), "--expect-nccl " + expectNccl
                    + ": expected an NCCL version as major.minor.patch, e.g. 2.27.3");
        }
        BenchSpec benchSpec = benchSpec();
        List<NcclSetting> settings = settings();
        AgentSettings agentSettings = AgentSettings.builder()
                .nodeName(nodeName == null ? "" : nodeName)
                .worker(libraries.apply(WorkerSettings.builder()).build())
                .build();
        Clock clock = Clock.systemUTC();
        Instant started = clock.instant();
        // --timeout bounds the whole bench: starting the workers comes out of it too
        Instant end = started.plus(timeout);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        NodeReport.Builder node = NodeReport.newBuilder().setAddress(EmbeddedAgent.ADDRESS);
        PreflightReport.Builder sections = PreflightReport.newBuilder();
        try (EmbeddedAgent agent = EmbeddedAgent.start(hostFs.toHostFs(), agentSettings)) {
            AgentGrpc.AgentBlockingStub stub = AgentGrpc.newBlockingStub(agent.target().channel());
            NodeInfo info = stub.withDeadlineAfter(30, TimeUnit.SECONDS).getNodeInfo(GetNodeInfoRequest.getDefaultInstance());
            node.setInfo(info).setNodeName(info.getNodeName()).setHostname(info.getHostname())
                    .setReachability(NodeReport.Reachability.REACHABLE);
            // the name the scorer files the node's results under
            String name = Names.node(node.build());
            try {
                CollectiveResults results = run(stub, benchSpec, settings, end, out, err, node);
                node.addAllChecks(BenchChecks.of(results))
                        .addChecks(NcclLibraryCheck.of(results.getWorkersList(), expectNccl));
                sections(sections, name, info, results);
                if (!quiet) {
                    err.println("preflight: transport: " + results.getTransport().getVerdict() + ": "
                            + results.getTransport().getSummary());
                    err.flush();
                }
            } catch (StatusRuntimeException e) {
                Status status = e.getStatus();
                if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
                    throw new ParameterException(spec.commandLine(), status.getDescription());
                }
                node.addChecks(CheckResult.newBuilder()
                        .setId(BenchContext.BENCH_ID)
                        .setStatus(CheckResult.Status.ERROR)
                        .setScope(Scope.HOST)
                        .setSummary("the bench could not run: " + status.getDescription())
                        .setObserved(status.getCode().name()));
            }
        }
        PreflightReport report = PreflightRun.report(new Scorer(policy.load()),
                "preflight " + String.join(" ", spec.commandLine().getParseResult().originalArgs()),
                started, clock.instant(), List.of(node.build()), List.of(), sections.build());
        boolean color = System.console() != null && System.getenv("NO_COLOR") == null;
        out.print(new TerminalSummary(color).render(report));
        out.flush();
        try {
            for (Path written : ReportWriter.write(report, outDir, formats)) {
                err.println("preflight: report written to " + written);
            }
            err.flush();
        } catch (IOException e) {
            err.println("preflight: cannot write the report to " + outDir + ": " + e.getMessage());
            err.flush();
            return ExitCodes.INCOMPLETE;
        }
        if (ncclTestsJson != null && report.getCollectivesCount() > 0) {
            try {
                AtomicFiles.write(ncclTestsJson, NcclTestsJson.render(report, report.getCollectives(0), ""));
                err.println("preflight: nccl-tests JSON written to " + ncclTestsJson);
                err.flush();
            } catch (IOException e) {
                err.println("preflight: --nccl-tests-json: cannot write " + ncclTestsJson + ": " + e.getMessage());
                err.flush();
                return ExitCodes.INCOMPLETE;
            }
        }
        return RunCommand.exitCode(report.getVerdict(), failOnWarn);
    }

    /**
     * The bench as preflight run reports its intra-node phase: the results among the report's
     * collectives, each completed result as an intra-node sweep the scorer judges against the GPU
     * part's band and the HTML report charts, and the node's GPUs for the planner.
     */
    private static void sections(PreflightReport.Builder sections, String name, NodeInfo info,
            CollectiveResults results) {
        CollectiveResults.Builder collective = results.toBuilder()
                .setPhase(IntraNodePhase.NAME)
                .setCommunicator("intra-node " + name)
                .clearNodes().addNodes(name)
                .setAttempt(1);
        for (int i = 0; i < collective.getWorkersCount(); i++) {
            collective.setWorkers(i, collective.getWorkers(i).toBuilder().setNode(name));
        }
        for (CollectiveResult.Builder result : collective.getResultsBuilderList()) {
            for (WrongRank.Builder wrong : result.getWrongRanksBuilderList()) {
                wrong.setNode(name);
            }
        }
        sections.addCollectives(collective);
        List<Gpu> gpus = info.getGpuInventory().getGpusList();
        String model = gpus.isEmpty() ? "" : gpus.get(0).getName();
        Measurements.Builder measurements = sections.getMeasurementsBuilder();
        String transport = Sweeps.transport(results.getTransport(), false);
        for (CollectiveResult result : collective.getResultsList()) {
            if (result.getRowsCount() > 0) {
                measurements.addSeries(Sweeps.of(result, Sweep.Kind.INTRA_NODE, List.of(name), -1, model, transport,
                        result.getNcclTestsCommand()));
            }
        }
        if (results.getWorkersCount() > 0) {
            measurements.addGpus(NodeGpus.newBuilder().setNode(name).setCount(results.getWorkersCount()).setModel(model)
                    .setMemoryBytes(results.getWorkers(0).getTotalBytes()));
        }
    }

    /**
     * Starts the workers, then gives the collectives what is left of the bench's time until
     * {@code end}; the agent ends the call by then, hung workers killed.
     */
    private CollectiveResults run(AgentGrpc.AgentBlockingStub stub, BenchSpec requested, List<NcclSetting> settings,
            Instant end, PrintWriter out, PrintWriter err, NodeReport.Builder node) {
        // a guard against an agent that never answers, not the bench's deadline (the agent keeps that)
        long deadline = timeout.toMillis() + Duration.ofMinutes(2).toMillis();
        CreateCommIdResponse id;
        try {
            // starting the workers may take what is left of --timeout, no more
            id = stub.withDeadlineAfter(Math.max(1, Duration.between(Instant.now(), end).toMillis()), TimeUnit.MILLISECONDS)
                    .createCommId(CreateCommIdRequest.newBuilder()
                            .addAllGpus(gpus)
                            .addAllNcclSettings(settings)
                            .setForce(force)
                            .build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.DEADLINE_EXCEEDED) {
                throw e;
            }
            throw Status.DEADLINE_EXCEEDED.withDescription("the bench workers did not start within --timeout "
                    + Estimate.format(timeout)).asRuntimeException();
        }
        if (!quiet) {
            err.println("preflight: " + id.getLocalRanks() + " bench worker(s) on GPU(s) "
                    + id.getGpusList().toString().replaceAll("[\\[\\] ]", "") + ", NCCL " + id.getNcclVersion()
                    + " from " + id.getNcclLibrary());
            err.flush();
        }
        Duration left = Duration.between(Instant.now(), end);
        if (left.getSeconds() < 1) {
            throw Status.DEADLINE_EXCEEDED.withDescription(String.format(Locale.ROOT, "starting the bench workers took "
                    + "%.1f s of --timeout %s, less than 1 s was left for the collectives",
                    timeout.minus(left).toMillis() / 1000.0, Estimate.format(timeout))).asRuntimeException();
        }
        BenchSpec benchSpec = requested.toBuilder().setTimeout(com.google.protobuf.Duration.newBuilder()
                .setSeconds(left.getSeconds()).setNanos(left.getNano())).build();
        long free = id.getFreeBytesList().stream().mapToLong(Long::longValue).min().orElse(Long.MAX_VALUE);
        var clamped = BenchMemory.clamp(benchSpec, id.getLocalRanks(), free);
        if (clamped.isPresent()) {
            benchSpec = clamped.get().spec();
            err.println("preflight: " + clamped.get().note());
            err.flush();
            node.addChecks(CheckResult.newBuilder().setId(BenchContext.BENCH_ID).setStatus(CheckResult.Status.PASS)
                    .setScope(Scope.HOST)
                    .setSummary("the bench ran with " + clamped.get().note())
                    .setObserved(ByteSizes.format(free) + " free on the smallest GPU")
                    .setExpected("the requested sizes fit the GPUs' free memory"));
        }
        Iterator<RunCollectiveEvent> events = stub.withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
                .runCollective(RunCollectiveRequest.newBuilder()
                        .setCommId(id.getCommId())
                        .setNranks(id.getLocalRanks())
                        .setRankOffset(0)
                        .addAllNcclSettings(settings)
                        .setSpec(benchSpec)
                        .build());
        BenchSpec.Op currentOp = null;
        BenchSpec.DataType currentType = null;
        CollectiveResults results = null;
        while (events.hasNext()) {
            RunCollectiveEvent event = events.next();
            if (event.hasResults()) {
                results = event.getResults();
                continue;
            }
            SizeProgress progress = event.getProgress();
            if (progress.getOp() != currentOp || progress.getDtype() != currentType) {
                currentOp = progress.getOp();
                currentType = progress.getDtype();
                out.print(BenchTable.header(currentOp, currentType, id.getLocalRanks(), perIteration));
            }
            out.print(BenchTable.row(currentType, progress.getRow(), perIteration));
            out.flush();
        }
        if (results == null) {
            throw Status.INTERNAL.withDescription("the agent ended the bench without results").asRuntimeException();
        }
        for (CollectiveResult result : results.getResultsList()) {
            out.print(BenchTable.footer(result));
        }
        out.flush();
        return results;
    }

    private BenchSpec benchSpec() {
        if (maxBytes < minBytes) {
            throw new ParameterException(spec.commandLine(), "--max-bytes " + maxBytes + " is below --min-bytes " + minBytes);
        }
        require(minBytes >= 1, "--min-bytes " + minBytes + ": must be at least 1");
        require(stepFactor >= 2 && stepFactor <= 1024, "--step-factor " + stepFactor + ": expected 2..1024");
        require(iters >= 1, "--iters " + iters + ": must be at least 1");
        require(warmupIters >= 0, "--warmup-iters " + warmupIters + ": must be 0 or more");
        require(graphLaunches >= 0, "--graph " + graphLaunches + ": must be 0 or more");
        require(!(perIteration && graphLaunches > 0), "--per-iteration cannot be combined with --graph "
                + "(CUDA events cannot sit between captured ops)");
        require(peers.isEmpty() || ops.contains(BenchSpec.Op.SENDRECV), "--peers applies to --op sendrecv only");
        require(timeout.getSeconds() >= 1, "--timeout " + timeout + ": must be at least 1s");
        require(ncclTestsJson == null || !Files.isDirectory(ncclTestsJson),
                "--nccl-tests-json " + ncclTestsJson + ": is a directory, expected a file name");
        for (int gpu : gpus) {
            require(gpu >= 0, "--gpus " + gpu + ": not a device index");
        }
        return BenchSpec.newBuilder()
                .addAllOps(ops)
                .addAllDtypes(dtypes)
                .setMinBytes(minBytes)
                .setMaxBytes(maxBytes)
                .setStepFactor(stepFactor)
                .setIters(iters)
                .setWarmupIters(warmupIters)
                .setGraphLaunches(graphLaunches)
                .setPerIteration(perIteration)
                .addAllPeerPairs(peers)
                .setNoValidation(noCheck)
                .setValidateMaxBytes(validateMaxBytes)
                .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(timeout.getSeconds()))
                .build();
    }

    private List<NcclSetting> settings() {
        List<NcclSetting> settings = new ArrayList<>();
        for (String setting : ncclSettings) {
            int eq = setting.indexOf('=');
            require(eq > 0, "--nccl-setting " + setting + ": expected NAME=VALUE");
            settings.add(NcclSetting.newBuilder().setName(setting.substring(0, eq)).setValue(setting.substring(eq + 1))
                    .build());
        }
        return settings;
    }

    private void require(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    /** all_reduce, all_gather, reduce_scatter, alltoall, sendrecv (nccl-tests' binary names without _perf). */
    static final class OpConverter implements ITypeConverter<BenchSpec.Op> {
        @Override
        public BenchSpec.Op convert(String value) {
            String name = value.strip().toUpperCase(Locale.ROOT);
            for (BenchSpec.Op op : BenchSpec.Op.values()) {
                if (op != BenchSpec.Op.OP_UNSPECIFIED && op != BenchSpec.Op.UNRECOGNIZED && op.name().equals(name)) {
                    return op;
                }
            }
            throw new TypeConversionException("'" + value + "' is not an op: all_reduce, all_gather, reduce_scatter, "
                    + "alltoall, sendrecv");
        }
    }

    static final class DataTypeConverter implements ITypeConverter<BenchSpec.DataType> {
        @Override
        public BenchSpec.DataType convert(String value) {
            String name = value.strip().toUpperCase(Locale.ROOT);
            for (BenchSpec.DataType dtype : BenchSpec.DataType.values()) {
                if (dtype != BenchSpec.DataType.DATA_TYPE_UNSPECIFIED && dtype != BenchSpec.DataType.UNRECOGNIZED
                        && dtype.name().equals(name)) {
                    return dtype;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a dtype: float32, float16, bfloat16");
        }
    }

    /** SENDER:RECEIVER, two ranks. */
    static final class PeerPairConverter implements ITypeConverter<PeerPair> {
        @Override
        public PeerPair convert(String value) {
            String[] parts = value.strip().split(":", -1);
            if (parts.length != 2 || !parts[0].matches("\\d{1,6}") || !parts[1].matches("\\d{1,6}")) {
                throw new TypeConversionException("'" + value + "' is not SENDER:RECEIVER with two rank numbers");
            }
            return PeerPair.newBuilder().setSender(Integer.parseInt(parts[0])).setReceiver(Integer.parseInt(parts[1]))
                    .build();
        }
    }
}
