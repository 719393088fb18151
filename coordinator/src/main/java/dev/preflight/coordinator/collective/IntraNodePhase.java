package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.Measurements.Sweep;
import java.util.ArrayList;
import java.util.List;

/**
 * All-reduce among each node's own GPUs, every node at once (NVLink and NVSwitch health, tensor
 * parallelism inside a node). Also how the run learns each node's GPUs: when the phase is not
 * selected, {@link #probe} runs the smallest such bench instead, recording no measurement.
 */
public final class IntraNodePhase {
    public static final String NAME = "intra_node";
    static final String PROBE = "gpu_probe";

    private IntraNodePhase() {}

    public static void run(BenchContext ctx) {
        ctx.countersBefore(NAME);
        BenchSettings settings = ctx.settings();
        List<CommRun> outcomes;
        if (ctx.benched()) {
            outcomes = ctx.run(NAME, List.of(plan(ctx.nodes(), settings)));
        } else {
            outcomes = ctx.benchEachNode(NAME, ranks -> spec(settings, ranks));
        }
        outcomes = ctx.repeatFailures(NAME, outcomes);
        if (settings.outliers().isPresent()) {
            NodeOutliers.Suspects suspects = NodeOutliers.suspects(outcomes, NodeOutliers.Aggregate.BEST,
                    settings.outliers().get());
            outcomes = ctx.repeatLow(NAME, outcomes, NodeOutliers.measurementsOf(outcomes, suspects));
        }
        ctx.addSeries(outcomes);
        ctx.reportFailures(outcomes);
        ctx.countersAfter(NAME);
    }

    /** Learns every node's GPUs with one small all-reduce each, when no intra-node sweep does. */
    public static void probe(BenchContext ctx) {
        BenchSpec.Builder tiny = BenchSpec.newBuilder();
        List<CommRun> outcomes = ctx.benchEachNode(PROBE, ranks -> ctx.settings().spec(
                new BenchProfile.Shape(8, 8, 2, 1, 0), List.of(BenchSpec.Op.ALL_REDUCE), BenchSpec.DataType.BFLOAT16,
                ranks, false, tiny));
        ctx.reportFailures(outcomes);
    }

    static List<Communicator> plan(List<BenchNode> nodes, BenchSettings settings) {
        List<Communicator> round = new ArrayList<>();
        for (BenchNode node : nodes) {
            round.add(new Communicator(NAME, "intra-node " + node.name(), Sweep.Kind.INTRA_NODE, -1,
                    List.of(Member.whole(node)), spec(settings, node.gpuCount())));
        }
        return round;
    }

    static BenchSpec spec(BenchSettings settings, int ranks) {
        return settings.spec(settings.profile().intraNode(), List.of(BenchSpec.Op.ALL_REDUCE), BenchSpec.DataType.BFLOAT16,
                ranks, false, BenchSpec.newBuilder());
    }
}
