package dev.preflight.agent.check;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What the gpu.* checks judge the GPUs against: from the agent's flags only. Every limit is a named
 * default here and can be overridden by a flag of the same meaning. Immutable.
 */
public final class GpuLimits {
    /** SuperBench calls a GPU defective above 85 °C; GCM warns at 84. */
    public static final int DEFAULT_MAX_TEMPERATURE_C = 85;
    /** aznhc's check_gpu_ecc DRAM threshold: more corrected errors than this on one GPU is a warning. */
    public static final long DEFAULT_ECC_CORRECTED_WARN = 10_000;
    /** aznhc fails a GPU with more than 512 rows remapped for uncorrectable errors. */
    public static final int DEFAULT_MAX_UNCORRECTABLE_REMAPS = 512;
    /** aznhc fails on a listed Xid seen within the last 2 hours. */
    public static final Duration DEFAULT_XID_WINDOW = Duration.ofHours(2);
    /** aznhc's Xid list: each means a GPU that must be drained or reset (fallen off the bus, ECC page retirement, NVLink and GSP faults). */
    public static final Set<Integer> DEFAULT_CRITICAL_XIDS = Set.of(
            48, 56, 57, 58, 62, 63, 64, 65, 68, 69, 73, 74, 79, 80, 81, 92, 119, 120);

    private final OptionalInt expectGpus;
    private final boolean allowMig;
    private final int maxTemperatureC;
    private final long eccCorrectedWarn;
    private final int maxUncorrectableRemaps;
    private final Duration xidWindow;
    private final Set<Integer> criticalXids;

    private GpuLimits(Builder builder) {
        this.expectGpus = builder.expectGpus;
        this.allowMig = builder.allowMig;
        this.maxTemperatureC = builder.maxTemperatureC;
        this.eccCorrectedWarn = builder.eccCorrectedWarn;
        this.maxUncorrectableRemaps = builder.maxUncorrectableRemaps;
        this.xidWindow = builder.xidWindow;
        this.criticalXids = builder.criticalXids;
    }

    public static GpuLimits defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** GPUs this node must have (--expect-gpus); empty: not stated, only the driver's and the bus's views are compared. */
    public OptionalInt expectGpus() {
        return expectGpus;
    }

    /** MIG partitions are acceptable (--allow-mig); by default MIG on is a FAIL, as NCCL's TP group needs whole GPUs. */
    public boolean allowMig() {
        return allowMig;
    }

    public int maxTemperatureC() {
        return maxTemperatureC;
    }

    public long eccCorrectedWarn() {
        return eccCorrectedWarn;
    }

    public int maxUncorrectableRemaps() {
        return maxUncorrectableRemaps;
    }

    public Duration xidWindow() {
        return xidWindow;
    }

    public Set<Integer> criticalXids() {
        return criticalXids;
    }

    public static final class Builder {
        private OptionalInt expectGpus = OptionalInt.empty();
        private boolean allowMig;
        private int maxTemperatureC = DEFAULT_MAX_TEMPERATURE_C;
        private long eccCorrectedWarn = DEFAULT_ECC_CORRECTED_WARN;
        private int maxUncorrectableRemaps = DEFAULT_MAX_UNCORRECTABLE_REMAPS;
        private Duration xidWindow = DEFAULT_XID_WINDOW;
        private Set<Integer> criticalXids = DEFAULT_CRITICAL_XIDS;

        private Builder() {}

        public Builder expectGpus(int count) {
            if (count < 0 || count > 1024) {
                throw new IllegalArgumentException("expected GPU count must be 0..1024, got " + count);
            }
            this.expectGpus = OptionalInt.of(count);
            return this;
        }

        public Builder allowMig(boolean value) {
            this.allowMig = value;
            return this;
        }

        public Builder maxTemperatureC(int value) {
            if (value < 1 || value > 150) {
                throw new IllegalArgumentException("maximum GPU temperature must be 1..150 °C, got " + value);
            }
            this.maxTemperatureC = value;
            return this;
        }

        public Builder eccCorrectedWarn(long value) {
            if (value < 0) {
                throw new IllegalArgumentException("corrected ECC error threshold must be >= 0, got " + value);
            }
            this.eccCorrectedWarn = value;
            return this;
        }

        public Builder maxUncorrectableRemaps(int value) {
            if (value < 0) {
                throw new IllegalArgumentException("uncorrectable remapped rows threshold must be >= 0, got " + value);
            }
            this.maxUncorrectableRemaps = value;
            return this;
        }

        public Builder xidWindow(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("Xid window must be positive, got " + value);
            }
            this.xidWindow = value;
            return this;
        }

        public Builder criticalXids(Set<Integer> value) {
            this.criticalXids = Set.copyOf(value);
            return this;
        }

        public GpuLimits build() {
            return new GpuLimits(this);
        }
    }
}
