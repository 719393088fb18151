package dev.preflight.agent.gpu;

/**
 * The port every GPU source sits behind: NVML, nvidia-smi, the PCI bus. {@link GpuInventoryProbe}
 * tries them in that order and records each attempt.
 */
public interface GpuInventory {
    /** "nvml", "nvidia-smi" or "pci", as the report names the source. */
    String source();

    /**
     * The GPUs as this source sees them: gpus, driver and CUDA versions, P2P pairs and the facts it
     * could not give. Source, attempts, PCI devices and timing are the probe's to fill.
     *
     * @throws GpuSourceException when this source cannot answer on this node
     */
    dev.preflight.proto.v1.GpuInventory read() throws GpuSourceException;
}
