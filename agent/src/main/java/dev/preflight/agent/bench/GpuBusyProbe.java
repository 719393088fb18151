package dev.preflight.agent.bench;

import java.io.IOException;
import java.util.List;

/**
 * Whether other processes hold the GPUs a bench is about to use (a port: the GPU inventory backs it
 * with NVML's running-process lists, {@link InventoryBusyProbe}). A bench on a busy GPU measures contention and may starve
 * the tenant, so it is refused unless forced.
 */
public interface GpuBusyProbe {
    /**
     * One line per process found, e.g. "GPU 1: pid 4242 (python3), 30.5 GiB"; empty when all are
     * idle. An empty list of GPUs means every GPU of the node.
     */
    List<String> processesOn(List<Integer> gpus) throws IOException;
}
