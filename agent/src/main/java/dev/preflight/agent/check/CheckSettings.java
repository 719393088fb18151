package dev.preflight.agent.check;

import dev.preflight.agent.net.NameResolver;
import dev.preflight.proto.units.ByteSizes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What the checks judge with: from the agent's flags only, never from a request. Immutable; made
 * with {@link #builder()}, a variant with {@link #toBuilder()} (a run that also reads the model store).
 */
public final class CheckSettings {
    public static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_STORAGE_READ_BYTES = ByteSizes.GIB;
    /** Where model weights live in the deployment this tool prepares for. */
    public static final Path DEFAULT_MODEL_STORE = Path.of("/models");

    private final boolean hostViews;
    private final Duration checkTimeout;
    private final GpuLimits gpu;
    private final Map<String, String> ncclEnv;
    private final Thresholds thresholds;
    private final List<Path> modelStores;
    private final long storageReadBytes;
    private final boolean storageRead;
    private final NameResolver resolver;

    private CheckSettings(Builder builder) {
        this.hostViews = builder.hostViews;
        this.checkTimeout = builder.checkTimeout;
        this.gpu = builder.gpu;
        this.ncclEnv = builder.ncclEnv;
        this.thresholds = builder.thresholds;
        this.modelStores = builder.modelStores;
        this.storageReadBytes = builder.storageReadBytes;
        this.storageRead = builder.storageRead;
        this.resolver = builder.resolver;
    }

    public static CheckSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder builder = new Builder();
        builder.hostViews = hostViews;
        builder.checkTimeout = checkTimeout;
        builder.gpu = gpu;
        builder.ncclEnv = ncclEnv;
        builder.thresholds = thresholds;
        builder.modelStores = modelStores;
        builder.storageReadBytes = storageReadBytes;
        builder.storageRead = storageRead;
        builder.resolver = resolver;
        return builder;
    }

    /** Host-scoped facts come from the host's views mounted into a DaemonSet pod. */
    public boolean hostViews() {
        return hostViews;
    }

    /** How long one check may take before it is reported as ERROR and abandoned. */
    public Duration checkTimeout() {
        return checkTimeout;
    }

    /** What the gpu.* checks judge the GPUs against. */
    public GpuLimits gpu() {
        return gpu;
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

    /** How host.identity resolves the hostname. */
    public NameResolver resolver() {
        return resolver;
    }

    public static final class Builder {
        private boolean hostViews;
        private Duration checkTimeout = DEFAULT_CHECK_TIMEOUT;
        private GpuLimits gpu = GpuLimits.defaults();
        private Map<String, String> ncclEnv = ncclVariables(System.getenv());
        private Thresholds thresholds = Thresholds.DEFAULTS;
        private List<Path> modelStores = List.of();
        private long storageReadBytes = DEFAULT_STORAGE_READ_BYTES;
        private boolean storageRead;
        private NameResolver resolver = NameResolver.SYSTEM;

        private Builder() {}

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

        public Builder gpu(GpuLimits value) {
            this.gpu = Objects.requireNonNull(value);
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

        public CheckSettings build() {
            return new CheckSettings(this);
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
