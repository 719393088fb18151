package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.fanout.AgentTarget;
import java.util.List;

/**
 * A node that takes part in the bench phases: its agent, and the GPUs its CUDA runtime showed when
 * the node first benched (which may differ from the driver's inventory: a container sees only the
 * GPUs it was given).
 *
 * @param index the node's position in the run, which fixes its place in node-major rank order
 * @param gpus CUDA device indices, in the order the node's ranks take them
 * @param gpuModel the GPU product name (NVML), empty when not known
 */
public record BenchNode(int index, String name, AgentTarget target, List<Integer> gpus, String gpuModel,
        long gpuMemoryBytes) {
    public BenchNode {
        gpus = List.copyOf(gpus);
    }

    public int gpuCount() {
        return gpus.size();
    }
}
