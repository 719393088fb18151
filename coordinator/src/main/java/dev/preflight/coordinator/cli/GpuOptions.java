package dev.preflight.coordinator.cli;

import dev.preflight.agent.check.GpuLimits;
import dev.preflight.agent.gpu.GpuSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** How the agent inventories and judges GPUs; every threshold of the gpu.* checks can be overridden here. */
public final class GpuOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--expect-gpus", paramLabel = "N",
            description = "GPUs this node must have (gpu.count); default: not judged, compared across nodes.")
    Integer expectGpus;

    @Option(names = "--allow-mig", description = "Accept GPUs in MIG mode (gpu.mode); by default MIG on is a FAIL.")
    boolean allowMig;

    @Option(names = "--nvidia-smi", paramLabel = "PATH",
            description = "nvidia-smi to run when NVML cannot be loaded (default: nvidia-smi on PATH).")
    String nvidiaSmi;

    @Option(names = "--javacpp-cache", paramLabel = "DIR",
            description = "Writable directory where the NVML binding's natives are extracted "
                    + "(default: ~/.javacpp/cache; give one in a read-only container).")
    Path javacppCache;

    @Option(names = "--gpu-max-temp", paramLabel = "CELSIUS",
            description = "gpu.thermal fails at or above this temperature (default: "
                    + GpuLimits.DEFAULT_MAX_TEMPERATURE_C + ").")
    Integer maxTemperature;

    @Option(names = "--gpu-ecc-corrected-warn", paramLabel = "N",
            description = "gpu.ecc warns above this many corrected ECC errors on one GPU (default: "
                    + GpuLimits.DEFAULT_ECC_CORRECTED_WARN + ").")
    Long eccCorrectedWarn;

    @Option(names = "--gpu-max-uncorrectable-remaps", paramLabel = "N",
            description = "gpu.row_remap fails above this many rows remapped for uncorrectable errors (default: "
                    + GpuLimits.DEFAULT_MAX_UNCORRECTABLE_REMAPS + ").")
    Integer maxUncorrectableRemaps;

    @Option(names = "--xid-window", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "gpu.xid looks this far back in the kernel log (default: 2h).")
    Duration xidWindow;

    boolean anyGiven() {
        return expectGpus != null || allowMig || nvidiaSmi != null || javacppCache != null || maxTemperature != null
                || eccCorrectedWarn != null || maxUncorrectableRemaps != null || xidWindow != null;
    }

    /** Where the inventory comes from, each value checked; a bad one is a usage error naming the flag and the value. */
    GpuSources sources() {
        GpuSources.Builder builder = GpuSources.builder();
        try {
            if (nvidiaSmi != null) {
                builder.nvidiaSmi(nvidiaSmi);
            }
            if (javacppCache != null) {
                if (!Files.isDirectory(javacppCache) || !Files.isWritable(javacppCache)) {
                    throw new IllegalArgumentException("not a writable directory");
                }
                builder.javacppCacheDir(javacppCache);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "GPU option: " + e.getMessage()
                    + (javacppCache != null && e.getMessage().startsWith("not a writable") ? ": --javacpp-cache " + javacppCache : ""));
        }
        return builder.build();
    }

    /** What the gpu.* checks judge against, each value checked; a bad one is a usage error naming the value. */
    GpuLimits limits() {
        GpuLimits.Builder builder = GpuLimits.builder().allowMig(allowMig);
        try {
            if (expectGpus != null) {
                builder.expectGpus(expectGpus);
            }
            if (maxTemperature != null) {
                builder.maxTemperatureC(maxTemperature);
            }
            if (eccCorrectedWarn != null) {
                builder.eccCorrectedWarn(eccCorrectedWarn);
            }
            if (maxUncorrectableRemaps != null) {
                builder.maxUncorrectableRemaps(maxUncorrectableRemaps);
            }
            if (xidWindow != null) {
                builder.xidWindow(xidWindow);
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "GPU option: " + e.getMessage());
        }
        return builder.build();
    }
}
