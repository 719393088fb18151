package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.Measurements.Sweep;
import java.util.ArrayList;
import java.util.List;

/**
 * Collectives over every GPU of every node, ranks node-major (a node's ranks follow the previous
 * nodes' GPUs, whatever each node's count): all-reduce, and in the full profile all-gather,
 * reduce-scatter and all-to-all too, bf16.
 */
public final class AllNodesPhase {
    public static final String NAME = "all_nodes";

    private AllNodesPhase() {}

    public static void run(BenchContext ctx) {
        ctx.countersBefore(NAME);
        List<CommRun> outcomes = ctx.run(NAME, plan(ctx.nodes(), ctx.settings()));
        outcomes = ctx.repeatFailures(NAME, outcomes);
        ctx.addSeries(outcomes);
        ctx.reportFailures(outcomes);
        ctx.countersAfter(NAME);
    }

    public static List<List<Communicator>> plan(List<BenchNode> nodes, BenchSettings settings) {
        if (nodes.size() < 2) {
            return List.of();
        }
        List<Member> members = new ArrayList<>();
        int ranks = 0;
        for (BenchNode node : nodes) {
            members.add(Member.whole(node));
            ranks += node.gpuCount();
        }
        List<BenchSpec.Op> ops = settings.profile().allCollectives()
                ? List.of(BenchSpec.Op.ALL_REDUCE, BenchSpec.Op.ALL_GATHER, BenchSpec.Op.REDUCE_SCATTER,
                        BenchSpec.Op.ALLTOALL)
                : List.of(BenchSpec.Op.ALL_REDUCE);
        // every rank's every iteration, for the stragglers and spikes fault isolation looks for
        BenchSpec spec = settings.spec(settings.profile().allNodes(), ops, BenchSpec.DataType.BFLOAT16, ranks, true,
                BenchSpec.newBuilder().setPerIteration(true));
        return List.of(List.of(new Communicator(NAME, "all " + nodes.size() + " nodes (" + ranks + " ranks)",
                Sweep.Kind.ALL_NODES, -1, members, spec)));
    }
}
