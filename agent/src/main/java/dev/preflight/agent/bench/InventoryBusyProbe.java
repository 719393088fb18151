package dev.preflight.agent.bench;

import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.GpuProcess;
import java.util.ArrayList;
import java.util.List;

/**
 * The bench's "are the GPUs busy?" answered from a fresh GPU inventory (NVML's running compute
 * processes). GPUs are matched by index: the inventory's index is NVML's (PCI bus order), which
 * is the CUDA device order on the nodes the bench targets (identical GPUs, or
 * CUDA_DEVICE_ORDER=PCI_BUS_ID).
 */
public final class InventoryBusyProbe implements GpuBusyProbe {
    private final GpuInventoryProbe inventory;

    public InventoryBusyProbe(GpuInventoryProbe inventory) {
        this.inventory = inventory;
    }

    @Override
    public List<String> processesOn(List<Integer> gpus) {
        return holders(inventory.take(), gpus);
    }

    static List<String> holders(GpuInventory inventory, List<Integer> gpus) {
        List<String> holders = new ArrayList<>();
        for (Gpu gpu : inventory.getGpusList()) {
            if (!gpus.isEmpty() && !gpus.contains(gpu.getIndex())) {
                continue;
            }
            for (GpuProcess process : gpu.getProcessesList()) {
                holders.add("GPU " + gpu.getIndex() + ": pid " + process.getPid()
                        + (process.getName().isEmpty() ? "" : " (" + process.getName() + ")")
                        + (process.hasUsedMemoryBytes() ? ", " + ByteSizes.format(process.getUsedMemoryBytes()) : ""));
            }
        }
        return holders;
    }
}
