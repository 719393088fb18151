package dev.preflight.coordinator.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.preflight.coordinator.plan.Model;
import dev.preflight.coordinator.plan.ModelCatalog;
import dev.preflight.coordinator.plan.Planner;
import dev.preflight.coordinator.plan.Precision;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.units.Numbers;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.Measurements.EnvSetting;
import dev.preflight.proto.v1.Measurements.NodeGpus;
import dev.preflight.proto.v1.Measurements.StorageRead;
import dev.preflight.proto.v1.ModelPlan;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

@Command(name = "plan", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Size a model onto the cluster: weights, KV cache, activations and CUDA graphs per GPU, the "
                + "smallest TP the engines accept that fits, PP across nodes when none does (and for MoE models "
                + "the cross-node TP + EP layout), the inter-node tier each needs and the launch settings.",
                "Sizes take a unit: GB = 10^9 bytes, GiB = 2^30 bytes (an \"80 GB\" H100 is --gpu-memory 80GB)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:planned (and it fits the cluster when --nodes or --from gives its size)",
                "1:the model needs more nodes than the cluster has", "2:usage error: bad flags or input files"})
public final class PlanCommand implements Callable<Integer> {
    /** GPUs in one node: 8 today, 72 in an NVL72 domain; 1024 is beyond any. */
    static final int MAX_GPUS_PER_NODE = 1024;
    static final int MAX_NODES = 1_000_000;
    /** 16 TB per GPU: ten times the largest GPU memory sold; a larger value is a unit mistake. */
    static final long MAX_GPU_MEMORY = 16_000_000_000_000L;

    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "NAME", description = "A model of the catalog (--list-models).")
    String modelName;

    @Option(names = "--params", paramLabel = "COUNT", converter = ParameterCountConverter.class,
            description = "Parameter count instead of --model: 671e9, 405B (B = billion here).")
    Double parameters;

    @Option(names = "--precision", paramLabel = "P", converter = PrecisionConverter.class,
            description = "Weight precision: fp16, bf16 (2 bytes per parameter), fp8 (1), int4 (0.5).")
    Precision precision;

    @Option(names = "--context", paramLabel = "TOKENS",
            description = "Tokens of context per sequence the KV cache holds (default: 8192).")
    Integer context;

    @Option(names = "--concurrency", paramLabel = "N",
            description = "Sequences decoded at once (default: 32).")
    Integer concurrency;

    @Option(names = "--kv-precision", paramLabel = "P", converter = PrecisionConverter.class,
            description = "KV-cache precision: bf16 (default), fp16 or fp8.")
    Precision kvPrecision;

    @Option(names = "--tp", paramLabel = "N",
            description = "Use this tensor-parallel size instead of the smallest that fits; refused when the model's "
                    + "attention or KV heads do not divide by it, as the engines refuse it.")
    Integer tensorParallel;

    @Option(names = "--nodes", paramLabel = "N", description = "Nodes in the cluster (default: from --from, else not judged).")
    Integer nodes;

    @Option(names = "--gpus-per-node", paramLabel = "N", description = "GPUs per node (default: from --from).")
    Integer gpusPerNode;

    @Option(names = "--gpu-memory", paramLabel = "SIZE", converter = ByteSizeConverter.class,
            description = "Memory of one GPU with its unit: 80GB, 141GB, 80GiB (default: from --from).")
    Long gpuMemory;

    @Option(names = "--from", paramLabel = "REPORT.json",
            description = "A preflight report: the cluster as measured (nodes, GPUs, inter-node tier, storage read rate, NCCL settings).")
    Path from;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", converter = OutputConverter.class,
            description = "table or json (default: ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--list-models", description = "List the model catalog and exit.")
    boolean listModels;

    @Mixin
    PolicyOption policyOption;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (listModels) {
            out.print(catalog());
            out.flush();
            return ExitCodes.VIABLE;
        }
        if ((modelName == null) == (parameters == null)) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --model NAME or --params COUNT");
        }
        if (precision == null) {
            throw new ParameterException(spec.commandLine(), "--precision is required (fp16, bf16, fp8, int4)");
        }
        Model model = modelName != null ? ModelCatalog.find(modelName).orElseThrow(() -> new ParameterException(
                spec.commandLine(), "--model '" + modelName + "' is not in the catalog; known: " + ModelCatalog.names()))
                : Model.ofParameters(parameters);
        Planner.Load load = load();
        Policy policy = policyOption.load();
        PreflightReport report = from == null ? null : ReportInput.read(spec.commandLine(), "--from", from);

        int gpus = gpusPerNode != null ? within("--gpus-per-node", gpusPerNode, MAX_GPUS_PER_NODE) : reportGpus(report);
        long memory = gpuMemory != null ? gpuMemory : reportMemory(report);
        if (memory > MAX_GPU_MEMORY) {
            throw new ParameterException(spec.commandLine(), "--gpu-memory " + ByteSizes.formatDecimal(memory)
                    + " is out of range (expected at most " + ByteSizes.formatDecimal(MAX_GPU_MEMORY) + " per GPU)");
        }
        int nodesAvailable = nodes != null ? within("--nodes", nodes, MAX_NODES) : report == null ? 0 : reachable(report);
        Tier measured = report == null ? Tier.TIER_UNSPECIFIED : report.getScoring().getClusterTier();
        double storage = report == null ? 0 : slowestRead(report.getMeasurements().getStorageList());
        List<EnvSetting> env = report == null ? List.of() : report.getMeasurements().getRecommendedEnvList();

        ModelPlan plan;
        try {
            plan = Planner.plan(model, precision, new Planner.Cluster(gpus, memory, nodesAvailable, measured, storage, env),
                    load, policy);
        } catch (ArithmeticException e) {
            throw new ParameterException(spec.commandLine(), "the plan's byte counts do not fit 64 bits for these inputs ("
                    + e.getMessage() + ")");
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (output.equals("json")) {
            try {
                out.println(JsonFormat.printer().alwaysPrintFieldsWithNoPresence().print(plan));
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("plan cannot be printed as JSON", e);
            }
        } else {
            out.print(Planner.table(plan, modelName != null ? model.displayName() : model.name()));
        }
        out.flush();
        return nodesAvailable > 0 && !plan.getFitsCluster() ? ExitCodes.NOT_VIABLE : ExitCodes.VIABLE;
    }

    private Planner.Load load() {
        return load(spec, context, concurrency, kvPrecision, tensorParallel);
    }

    /** The serving load from flags, each checked; null flags take the defaults. */
    static Planner.Load load(CommandSpec spec, Integer context, Integer concurrency, Precision kvPrecision, Integer tp) {
        Planner.Load d = Planner.Load.DEFAULT;
        if (context != null && (context < 1 || context > 10_485_760)) {
            throw new ParameterException(spec.commandLine(), "--context " + context + ": expected 1-10485760 tokens");
        }
        if (concurrency != null && (concurrency < 1 || concurrency > 65_536)) {
            throw new ParameterException(spec.commandLine(), "--concurrency " + concurrency + ": expected 1-65536 sequences");
        }
        if (kvPrecision == Precision.INT4) {
            throw new ParameterException(spec.commandLine(), "--kv-precision int4: expected bf16, fp16 or fp8");
        }
        if (tp != null && (tp < 1 || tp > 65_536)) {
            throw new ParameterException(spec.commandLine(), "--tp " + tp + ": expected 1-65536");
        }
        return new Planner.Load(context == null ? d.contextTokens() : context, concurrency == null ? d.concurrency() : concurrency,
                kvPrecision == null ? d.kvPrecision() : kvPrecision, tp == null ? 0 : tp);
    }

    private int reportGpus(PreflightReport report) {
        List<NodeGpus> gpus = report == null ? List.of() : report.getMeasurements().getGpusList();
        if (gpus.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--gpus-per-node is required"
                    + (report == null ? " (or --from a report that lists the GPUs)" : ": " + from + " lists no GPUs"));
        }
        return gpus.stream().mapToInt(NodeGpus::getCount).min().getAsInt();
    }

    private long reportMemory(PreflightReport report) {
        List<NodeGpus> gpus = report == null ? List.of() : report.getMeasurements().getGpusList();
        if (gpus.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--gpu-memory is required, e.g. 80GB"
                    + (report == null ? " (or --from a report that lists the GPUs)" : ": " + from + " lists no GPUs"));
        }
        return gpus.stream().mapToLong(NodeGpus::getMemoryBytes).min().getAsLong();
    }

    private static int reachable(PreflightReport report) {
        return (int) report.getNodesList().stream()
                .filter(n -> n.getReachability() == NodeReport.Reachability.REACHABLE).count();
    }

    /** Model load reads on every node at once, so the slowest concurrent reader sets the pace. */
    private static double slowestRead(List<StorageRead> reads) {
        boolean anyConcurrent = reads.stream().anyMatch(StorageRead::getConcurrent);
        return reads.stream().filter(r -> r.getConcurrent() || !anyConcurrent)
                .mapToDouble(StorageRead::getReadBytesPerSecond).filter(r -> r > 0).min().orElse(0);
    }

    private int within(String flag, int value, int max) {
        try {
            return (int) Numbers.within(value, flag, 1, max);
        } catch (Numbers.NumberException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    static String catalog() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-16s %-16s %-25s %-9s %s%n",
                "MODEL", "NAME", "PARAMETERS", "FP16", "FP8"));
        for (Model model : ModelCatalog.all()) {
            String params = Planner.formatParameters(model.parameters()) + (model.moe()
                    ? " MoE (" + Planner.formatParameters(model.activeParameters()) + " active)" : " dense");
            out.append(String.format(Locale.ROOT, "%-16s %-16s %-25s %-9s %s%n", model.name(), model.displayName(),
                    params, ByteSizes.formatDecimal(Math.round(model.parameters() * 2)),
                    ByteSizes.formatDecimal(Math.round(model.parameters()))));
        }
        return out.toString();
    }

    static final class PrecisionConverter implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            try {
                return Precision.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class OutputConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String normal = value.strip().toLowerCase(Locale.ROOT);
            if (!normal.equals("table") && !normal.equals("json")) {
                throw new TypeConversionException("'" + value + "' is not an output format (table, json)");
            }
            return normal;
        }
    }

    /**
     * 671e9, 671000000000, 405B, 46.7B, 1.2T: B is a billion parameters here, not bytes. At most a
     * quadrillion: the largest models are a few trillion, and the planner's byte counts stay exact.
     */
    static final class ParameterCountConverter implements ITypeConverter<Double> {
        static final double MAX_PARAMETERS = 1e15;

        @Override
        public Double convert(String value) {
            String text = value.strip();
            double multiplier = 1;
            char last = text.isEmpty() ? ' ' : Character.toUpperCase(text.charAt(text.length() - 1));
            if (last == 'B' || last == 'M' || last == 'T') {
                multiplier = last == 'B' ? 1e9 : last == 'M' ? 1e6 : 1e12;
                text = text.substring(0, text.length() - 1);
            }
            try {
                double count = Numbers.decimal(text, "parameter count", 1, MAX_PARAMETERS / multiplier) * multiplier;
                return Numbers.finite(count, "parameter count", 1, MAX_PARAMETERS);
            } catch (Numbers.NumberException e) {
                throw new TypeConversionException("'" + value + "': " + e.getMessage() + " (e.g. 671e9 or 671B)");
            }
        }
    }
}
