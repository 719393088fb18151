package dev.preflight.agent.gpu;

/** Opens NVML (loads the library, nvmlInit); the way the agent reaches the real driver or a fake. */
@FunctionalInterface
public interface NvmlLoader {
    /**
     * @throws GpuSourceException unavailable when the library cannot be loaded or NVML cannot
     *     initialise (no driver): the inventory then falls through to nvidia-smi
     */
    Nvml open() throws GpuSourceException;
}
