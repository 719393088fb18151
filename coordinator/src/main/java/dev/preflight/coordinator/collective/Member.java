package dev.preflight.coordinator.collective;

import java.util.List;

/** A node's part of one communicator: which of its GPUs join, in local rank order. */
public record Member(BenchNode node, List<Integer> gpus) {
    public Member {
        if (gpus.isEmpty()) {
            throw new IllegalArgumentException("a member brings at least one GPU");
        }
        gpus = List.copyOf(gpus);
    }

    /** Every GPU of the node. */
    public static Member whole(BenchNode node) {
        return new Member(node, node.gpus());
    }

    /** One GPU of the node, by its position among the node's GPUs. */
    public static Member gpu(BenchNode node, int local) {
        return new Member(node, List.of(node.gpus().get(local)));
    }
}
