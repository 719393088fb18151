package dev.preflight.agent;

import dev.preflight.agent.bench.GpuBusyProbe;
import dev.preflight.agent.bench.WorkerLauncher;
import dev.preflight.agent.check.Thresholds;
import dev.preflight.agent.gpu.GpuSettings;
import dev.preflight.agent.net.NameResolver;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CollectiveResults;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The agent's own configuration: from its flags only, never from a request. Immutable; made with
 * {@link #builder()} so a new setting does not disturb existing call sites.
 */
public final class AgentSettings {
    public static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_STORAGE_READ_BYTES = ByteSizes.GIB;
    /** Where model weights live in the deployment this tool prepares for. */
    public static final Path DEFAULT_MODEL_STORE = Path.of("/models");

    private final String nodeName;
    private final boolean hostViews;
    private final Duration checkTimeout;
    private final GpuSettings gpu;
    private final String cudartLibrary;
    private final String ncclLibrary;
    private final String ncclLibraryOrigin;
    private final Path benchLockDir;
    private final Path benchWorkDir;
    private final List<String> workerCommand;
    private final Map<String, String> workerEnvironment;
    private final GpuBusyProbe gpuBusyProbe;
    private final Consumer<CollectiveResults> benchResults;
    private final Map<String, String> ncclEnv;
    private final Thresholds thresholds;
    private final List<Path> modelStores;
    private final long storageReadBytes;
    private final boolean storageRead;
    private final NameResolver resolver;

    private AgentSettings(Builder builder) {
        this.nodeName = builder.nodeName;
        this.hostViews = builder.hostViews;
        this.checkTimeout = builder.checkTimeout;
        this.gpu = builder.gpu;
        this.cudartLibrary = builder.cudartLibrary;
        this.ncclLibrary = builder.ncclLibrary;
        this.ncclLibraryOrigin = builder.ncclLibraryOrigin;
        this.benchLockDir = builder.benchLockDir;
        this.benchWorkDir = builder.benchWorkDir;
        this.workerCommand = builder.workerCommand != null ? builder.workerCommand : WorkerLauncher.defaultCommand();
        this.workerEnvironment = builder.workerEnvironment;
        this.gpuBusyProbe = builder.gpuBusyProbe;
        this.benchResults = builder.benchResults;
        this.ncclEnv = builder.ncclEnv;
        this.thresholds = builder.thresholds;
        this.modelStores = builder.modelStores;
        this.storageReadBytes = builder.storageReadBytes;
        this.storageRead = builder.storageRead;
        this.resolver = builder.resolver;
    }

    /** A builder holding these settings, to derive a variant (a run that also reads the model store). */
    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.nodeName = nodeName;
        builder.hostViews = hostViews;
        builder.checkTimeout = checkTimeout;
        builder.ncclEnv = ncclEnv;
        builder.thresholds = thresholds;
        builder.modelStores = modelStores;
        builder.storageReadBytes = storageReadBytes;
        builder.storageRead = storageRead;
        builder.resolver = resolver;
        builder.gpu = gpu;
        builder.cudartLibrary = cudartLibrary;
        builder.ncclLibrary = ncclLibrary;
        builder.ncclLibraryOrigin = ncclLibraryOrigin;
        builder.benchLockDir = benchLockDir;
        builder.benchWorkDir = benchWorkDir;
        builder.workerCommand = workerCommand;
        builder.workerEnvironment = workerEnvironment;
        builder.gpuBusyProbe = gpuBusyProbe;
        builder.benchResults = benchResults;
        return builder;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The name the agent reports; empty means "the hostname". */
    public String nodeName() {
        return nodeName;
    }

    /** Host-scoped facts come from the host's views mounted into a DaemonSet pod. */
    public boolean hostViews() {
        return hostViews;
    }

    /** How long one check may take before it is reported as ERROR and abandoned. */
    public Duration checkTimeout() {
        return checkTimeout;
    }

    /** How GPUs are inventoried and judged. */
    public GpuSettings gpu() {
        return gpu;
    }

    /** The CUDA runtime the bench workers load (a path or a soname); empty: libcudart.so.13, .12, .11.0 in turn. */
    public String cudartLibrary() {
        return cudartLibrary;
    }

    /** NCCL for the bench workers (a path or a soname); empty: libnccl.so.2. */
    public String ncclLibrary() {
        return ncclLibrary;
    }

    /** How the NCCL for the bench workers was chosen (see NcclLibraryLocator); empty when not said. */
    public String ncclLibraryOrigin() {
        return ncclLibraryOrigin;
    }

    /** Where the node-wide bench lock lives: every agent of a node must use the same directory. */
    public Path benchLockDir() {
        return benchLockDir;
    }

    /** Where the bench workers' logs go, a directory per communicator. */
    public Path benchWorkDir() {
        return benchWorkDir;
    }

    /**
     * How a bench worker is started: the java executable first, then options, class path, main
     * class and arguments (the bench adds options right after the executable).
     */
    public List<String> workerCommand() {
        return workerCommand;
    }

    /** Variables added to the workers' environment (agent configuration, never a request's). */
    public Map<String, String> workerEnvironment() {
        return workerEnvironment;
    }

    /** Told of every bench this agent ran (the metrics endpoint exports them). */
    public Consumer<CollectiveResults> benchResults() {
        return benchResults;
    }

    /** Tells whether other processes hold the GPUs before a bench; empty: ask the GPU inventory. */
    public Optional<GpuBusyProbe> gpuBusyProbe() {
        return Optional.ofNullable(gpuBusyProbe);
    }

    /**
     * The NCCL_* environment the NCCL checks judge: by default the agent's own environment (the
     * workload's arrives later, from the coordinator). Sorted by name.
     */
    public Map<String, String> ncclEnv() {
        return ncclEnv;
    }

    public Thresholds thresholds() {
        return thresholds;
    }

    /** Model stores given with --model-store; empty means "/models if present". */
    public List<Path> modelStores() {
        return modelStores;
    }

    /** How much the on-demand storage read reads; 0 turns it off. */
    public long storageReadBytes() {
        return storageReadBytes;
    }

    /** Whether this run reads the model store: on demand (a preflight run), never on a periodic call. */
    public boolean storageRead() {
        return storageRead;
    }

    public NameResolver resolver() {
        return resolver;
    }

    public static final class Builder {
        private String nodeName = "";
        private boolean hostViews;
        private Duration checkTimeout = DEFAULT_CHECK_TIMEOUT;
        private GpuSettings gpu;
        private String cudartLibrary = "";
        private String ncclLibrary = "";
        private String ncclLibraryOrigin = "";
        private Path benchLockDir = Paths.get(System.getProperty("java.io.tmpdir"), "preflight");
        private Path benchWorkDir = Paths.get(System.getProperty("java.io.tmpdir"), "preflight-bench");
        private List<String> workerCommand;
        private Map<String, String> workerEnvironment = Map.of();
        private GpuBusyProbe gpuBusyProbe;
        private Consumer<CollectiveResults> benchResults = results -> { };
        private Map<String, String> ncclEnv = ncclVariables(System.getenv());
        private Thresholds thresholds = Thresholds.DEFAULTS;
        private List<Path> modelStores = List.of();
        private long storageReadBytes = DEFAULT_STORAGE_READ_BYTES;
        private boolean storageRead;
        private NameResolver resolver = NameResolver.SYSTEM;

        private Builder() {}

        public Builder nodeName(String value) {
            this.nodeName = Objects.requireNonNull(value);
            return this;
        }

        public Builder hostViews(boolean value) {
            this.hostViews = value;
            return this;
        }

        public Builder checkTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("check timeout must be positive, got " + value);
            }
            this.checkTimeout = value;
            return this;
        }

        public Builder gpu(GpuSettings value) {
            this.gpu = Objects.requireNonNull(value);
            return this;
        }

        public Builder cudartLibrary(String value) {
            this.cudartLibrary = Objects.requireNonNull(value);
            return this;
        }

        public Builder ncclLibrary(String value) {
            this.ncclLibrary = Objects.requireNonNull(value);
            return this;
        }

        public Builder ncclLibraryOrigin(String value) {
            this.ncclLibraryOrigin = Objects.requireNonNull(value);
            return this;
        }

        public Builder benchLockDir(Path value) {
            this.benchLockDir = Objects.requireNonNull(value);
            return this;
        }

        public Builder benchWorkDir(Path value) {
            this.benchWorkDir = Objects.requireNonNull(value);
            return this;
        }

        public Builder workerCommand(List<String> value) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException("worker command must not be empty");
            }
            this.workerCommand = List.copyOf(value);
            return this;
        }

        public Builder workerEnvironment(Map<String, String> value) {
            this.workerEnvironment = Map.copyOf(value);
            return this;
        }

        public Builder benchResults(Consumer<CollectiveResults> value) {
            this.benchResults = Objects.requireNonNull(value);
            return this;
        }

        public Builder gpuBusyProbe(GpuBusyProbe value) {
            this.gpuBusyProbe = Objects.requireNonNull(value);
            return this;
        }

        /** The NCCL environment to judge; variables not named NCCL_* (any case) are dropped. */
        public Builder ncclEnv(Map<String, String> value) {
            this.ncclEnv = ncclVariables(value);
            return this;
        }

        public Builder thresholds(Thresholds value) {
            this.thresholds = Objects.requireNonNull(value);
            return this;
        }

        public Builder modelStores(List<Path> value) {
            for (Path path : value) {
                if (!path.isAbsolute()) {
                    throw new IllegalArgumentException("model store must be an absolute path, got " + path);
                }
            }
            this.modelStores = List.copyOf(value);
            return this;
        }

        public Builder storageReadBytes(long value) {
            if (value < 0) {
                throw new IllegalArgumentException("storage read size must not be negative, got " + value);
            }
            this.storageReadBytes = value;
            return this;
        }

        public Builder storageRead(boolean value) {
            this.storageRead = value;
            return this;
        }

        public Builder resolver(NameResolver value) {
            this.resolver = Objects.requireNonNull(value);
            return this;
        }

        public AgentSettings build() {
            if (gpu == null) {
                gpu = GpuSettings.defaults();
            }
            return new AgentSettings(this);
        }
    }

    /** NCCL reads only exact upper-case names, but a lower-case one is worth naming as a mistake. */
    private static Map<String, String> ncclVariables(Map<String, String> environment) {
        Map<String, String> nccl = new TreeMap<>();
        for (Map.Entry<String, String> variable : environment.entrySet()) {
            if (variable.getKey().regionMatches(true, 0, "NCCL_", 0, 5)) {
                nccl.put(variable.getKey(), Objects.requireNonNull(variable.getValue()));
            }
        }
        return Collections.unmodifiableMap(nccl);
    }
}
