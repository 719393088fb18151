package dev.preflight.agent.gpu;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the GPU inventory comes from: the NVML binding and the nvidia-smi to fall back to, from the
 * agent's flags only. Immutable; what the inventory is judged against is the checks' concern.
 */
public final class GpuSources {
    /** nvidia-smi -q on eight GPUs without persistence mode can take seconds while the driver initialises. */
    public static final Duration DEFAULT_NVIDIA_SMI_TIMEOUT = Duration.ofSeconds(30);
    public static final String DEFAULT_NVIDIA_SMI = "nvidia-smi";

    private final String nvidiaSmi;
    private final Duration nvidiaSmiTimeout;
    private final Path javacppCacheDir;
    private final NvmlLoader nvmlLoader;

    private GpuSources(Builder builder) {
        this.nvidiaSmi = builder.nvidiaSmi;
        this.nvidiaSmiTimeout = builder.nvidiaSmiTimeout;
        this.javacppCacheDir = builder.javacppCacheDir;
        this.nvmlLoader = builder.nvmlLoader;
    }

    public static GpuSources defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The nvidia-smi to run: a path, or a name looked up on PATH. */
    public String nvidiaSmi() {
        return nvidiaSmi;
    }

    public Duration nvidiaSmiTimeout() {
        return nvidiaSmiTimeout;
    }

    /** Where JavaCPP extracts the NVML binding's natives; empty: its default (~/.javacpp/cache). */
    public Optional<Path> javacppCacheDir() {
        return Optional.ofNullable(javacppCacheDir);
    }

    public NvmlLoader nvmlLoader() {
        return nvmlLoader;
    }

    public static final class Builder {
        private String nvidiaSmi = DEFAULT_NVIDIA_SMI;
        private Duration nvidiaSmiTimeout = DEFAULT_NVIDIA_SMI_TIMEOUT;
        private Path javacppCacheDir;
        private NvmlLoader nvmlLoader;

        private Builder() {}

        public Builder nvidiaSmi(String command) {
            if (Objects.requireNonNull(command).isBlank()) {
                throw new IllegalArgumentException("nvidia-smi command must not be blank");
            }
            this.nvidiaSmi = command;
            return this;
        }

        public Builder nvidiaSmiTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("nvidia-smi timeout must be positive, got " + value);
            }
            this.nvidiaSmiTimeout = value;
            return this;
        }

        public Builder javacppCacheDir(Path value) {
            this.javacppCacheDir = Objects.requireNonNull(value);
            return this;
        }

        /** The NVML to use; by default the bytedeco binding (tests hand in a fake). */
        public Builder nvmlLoader(NvmlLoader value) {
            this.nvmlLoader = Objects.requireNonNull(value);
            return this;
        }

        public GpuSources build() {
            if (nvmlLoader == null) {
                nvmlLoader = new BytedecoNvml.Loader(javacppCacheDir);
            }
            return new GpuSources(this);
        }
    }
}
