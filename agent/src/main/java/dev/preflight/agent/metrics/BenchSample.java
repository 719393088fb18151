package dev.preflight.agent.metrics;

import java.util.Objects;

/**
 * One bench figure as /metrics exports it: the statistic the verdict uses (bus bandwidth at large
 * messages), labelled like the exporters it sits beside: {@code gpu}/{@code UUID} as dcgm-exporter,
 * {@code device}/{@code port} as node_exporter's InfiniBand collector. Empty strings for labels
 * that do not apply (an all-node all-reduce has no single GPU).
 *
 * @param collective all_reduce, all_gather, reduce_scatter, alltoall, sendrecv
 * @param phase intra_node, all_nodes, rail, pairwise
 */
public record BenchSample(String collective, String phase, String gpu, String uuid, String device, String port,
        double busBandwidthBytesPerSecond) {
    public BenchSample {
        Objects.requireNonNull(collective, "collective");
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(gpu, "gpu");
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(port, "port");
        if (!(busBandwidthBytesPerSecond >= 0)) {
            throw new IllegalArgumentException("bus bandwidth must be a non-negative number, got "
                    + busBandwidthBytesPerSecond);
        }
    }
}
