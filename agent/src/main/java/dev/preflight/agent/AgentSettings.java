package dev.preflight.agent;

import dev.preflight.agent.bench.GpuBusyProbe;
import dev.preflight.agent.bench.WorkerLauncher;
import dev.preflight.agent.gpu.GpuSettings;
import dev.preflight.proto.v1.CollectiveResults;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The agent's own configuration: from its flags only, never from a request. Immutable; made with
 * {@link #builder()} so a new setting does not disturb existing call sites.
 */
public final class AgentSettings {
    public static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(30);

    private final String nodeName;
    private final boolean hostViews;
    private final Duration checkTimeout;
    private final GpuSettings gpu;
    private final String cudartLibrary;
    private final String ncclLibrary;
    private final Path benchLockDir;
    private final Path benchWorkDir;
    private final List<String> workerCommand;
    private final Map<String, String> workerEnvironment;
    private final GpuBusyProbe gpuBusyProbe;
    private final Consumer<CollectiveResults> benchResults;

    private AgentSettings(Builder builder) {
        this.nodeName = builder.nodeName;
        this.hostViews = builder.hostViews;
        this.checkTimeout = builder.checkTimeout;
        this.gpu = builder.gpu;
        this.cudartLibrary = builder.cudartLibrary;
        this.ncclLibrary = builder.ncclLibrary;
        this.benchLockDir = builder.benchLockDir;
        this.benchWorkDir = builder.benchWorkDir;
        this.workerCommand = builder.workerCommand != null ? builder.workerCommand : WorkerLauncher.defaultCommand();
        this.workerEnvironment = builder.workerEnvironment;
        this.gpuBusyProbe = builder.gpuBusyProbe;
        this.benchResults = builder.benchResults;
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

    public static final class Builder {
        private String nodeName = "";
        private boolean hostViews;
        private Duration checkTimeout = DEFAULT_CHECK_TIMEOUT;
        private GpuSettings gpu;
        private String cudartLibrary = "";
        private String ncclLibrary = "";
        private Path benchLockDir = Paths.get(System.getProperty("java.io.tmpdir"), "preflight");
        private Path benchWorkDir = Paths.get(System.getProperty("java.io.tmpdir"), "preflight-bench");
        private List<String> workerCommand;
        private Map<String, String> workerEnvironment = Map.of();
        private GpuBusyProbe gpuBusyProbe;
        private Consumer<CollectiveResults> benchResults = results -> { };

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

        public AgentSettings build() {
            if (gpu == null) {
                gpu = GpuSettings.defaults();
            }
            return new AgentSettings(this);
        }
    }
}
