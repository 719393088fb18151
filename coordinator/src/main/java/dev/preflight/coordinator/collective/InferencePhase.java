package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.PeerPair;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.RankIterations;
import dev.preflight.proto.v1.SizeRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The traffic of serving the planned TP x PP layout, at decode-step sizes: each stage's tensor-
 * parallel all-reduce and the send/recv across each pipeline boundary. Every communicator runs
 * twice, as the engine cannot time each op with CUDA events inside a CUDA graph: once per op for
 * the p50/p99 latency, once captured in CUDA graphs (as engines launch decode steps) for the mean.
 */
public final class InferencePhase {
    public static final String NAME = "inference";
    /** Launches of each size's captured graph (of iters ops each). */
    static final int GRAPH_LAUNCHES = 5;
    static final String PER_OP = " (per op)";
    static final String GRAPHS = " (CUDA graphs)";

    private InferencePhase() {}

    public static void run(BenchContext ctx) {
        InferenceLayout layout = InferenceLayout.of(ctx.nodes(), ctx.settings().tp(), ctx.settings().pp());
        ctx.line(NAME + ": TP " + layout.tp() + " x PP " + layout.pp());
        ctx.countersBefore(NAME);
        List<CommRun> outcomes = ctx.repeatFailures(NAME, ctx.run(NAME, Rounds.disjoint(plan(layout, ctx.settings()))));
        Map<String, CommRun> graphs = new LinkedHashMap<>();
        for (CommRun outcome : outcomes) {
            if (outcome.comm().label().endsWith(GRAPHS)) {
                graphs.put(base(outcome.comm().label(), GRAPHS), outcome);
            }
        }
        for (CommRun outcome : outcomes) {
            if (outcome.comm().label().endsWith(PER_OP) && outcome.ok()) {
                CommRun graph = graphs.get(base(outcome.comm().label(), PER_OP));
                for (LatencyResult result : latency(outcome, graph != null && graph.ok() ? graph : null)) {
                    ctx.results().addLatency(result);
                }
            }
        }
        ctx.reportFailures(outcomes);
        ctx.countersAfter(NAME);
    }

    private static String base(String label, String suffix) {
        return label.substring(0, label.length() - suffix.length());
    }

    /**
     * Every stage's TP all-reduce and every boundary's send/recv, each per op and in graphs; with a
     * plan's dispatch size also the all-to-all over every GPU of the instance (expert parallelism).
     */
    public static List<Communicator> plan(InferenceLayout layout, BenchSettings settings) {
        List<Communicator> comms = new ArrayList<>();
        BenchProfile.Shape decode = shape(settings.planSizes().decodeBytes(), settings);
        for (int s = 0; s < layout.pp(); s++) {
            List<Member> members = layout.stage(s);
            String label = TP_LABEL + s + " " + nodes(members);
            Sweep.Kind kind = members.size() == 1 ? Sweep.Kind.INTRA_NODE : Sweep.Kind.ALL_NODES;
            comms.addAll(variants(settings, decode, label, kind, members, BenchSpec.Op.ALL_REDUCE, layout.tp(),
                    BenchSpec.newBuilder()));
        }
        for (int s = 0; s + 1 < layout.pp(); s++) {
            List<Member> members = layout.boundary(s);
            BenchSpec.Builder peers = BenchSpec.newBuilder();
            for (int[] pair : layout.boundaryPairs(s)) {
                peers.addPeerPairs(PeerPair.newBuilder().setSender(pair[0]).setReceiver(pair[1]));
            }
            String label = PP_LABEL + s + "->" + (s + 1) + " " + nodes(members);
            Sweep.Kind kind = members.size() == 1 ? Sweep.Kind.INTRA_NODE : Sweep.Kind.PAIR;
            comms.addAll(variants(settings, decode, label, kind, members, BenchSpec.Op.SENDRECV, 2 * layout.tp(), peers));
        }
        if (settings.planSizes().dispatchBytes() > 0) {
            List<Member> members = layout.instance();
            String label = EP_LABEL + " " + nodes(members);
            Sweep.Kind kind = members.size() == 1 ? Sweep.Kind.INTRA_NODE : Sweep.Kind.ALL_NODES;
            comms.addAll(variants(settings, shape(settings.planSizes().dispatchBytes(), settings), label, kind, members,
                    BenchSpec.Op.ALLTOALL, layout.tp() * layout.pp(), BenchSpec.newBuilder()));
        }
        return comms;
    }

    /** The label prefixes a plan's cost finds its measurements by. */
    public static final String TP_LABEL = "tp all-reduce stage ";
    public static final String PP_LABEL = "pp send/recv stage ";
    public static final String EP_LABEL = "ep all-to-all";

    /** One message of the plan's size, timed as many times as the profile's decode sweep; else the sweep. */
    private static BenchProfile.Shape shape(long bytes, BenchSettings settings) {
        BenchProfile.Shape sweep = settings.profile().decode();
        return bytes > 0 ? new BenchProfile.Shape(bytes, bytes, 2, sweep.iters(), sweep.warmupIters()) : sweep;
    }

    private static List<Communicator> variants(BenchSettings settings, BenchProfile.Shape shape, String label, Sweep.Kind kind,
            List<Member> members, BenchSpec.Op op, int ranks, BenchSpec.Builder extra) {
        boolean across = members.size() > 1;
        BenchSpec perOp = settings.spec(shape, List.of(op), BenchSpec.DataType.BFLOAT16, ranks, across,
                extra.clone().setPerIteration(true));
        BenchSpec graphs = settings.spec(shape, List.of(op), BenchSpec.DataType.BFLOAT16, ranks, across,
                extra.clone().setGraphLaunches(GRAPH_LAUNCHES));
        return List.of(new Communicator(NAME, label + PER_OP, kind, -1, members, perOp),
                new Communicator(NAME, label + GRAPHS, kind, -1, members, graphs));
    }

    private static String nodes(List<Member> members) {
        List<String> names = new ArrayList<>();
        for (Member member : members) {
            names.add(member.node().name());
        }
        return String.join("~", names);
    }

    /** A latency row per size: p50/p99 from the per-op run, the mean from the graph run where it completed. */
    static List<LatencyResult> latency(CommRun perOp, CommRun graphs) {
        CollectiveResult result = perOp.results().getResults(0);
        Map<Long, Double> graphMean = new LinkedHashMap<>();
        if (graphs != null) {
            for (SizeRow row : graphs.results().getResults(0).getRowsList()) {
                graphMean.put(row.getSizeBytes(), row.getOutOfPlace().getTimeUs());
            }
        }
        List<LatencyResult> rows = new ArrayList<>();
        for (SizeRow row : result.getRowsList()) {
            OptionalDouble p99 = p99OverAllIterations(row.getOutOfPlace());
            rows.add(LatencyResult.newBuilder()
                    .setOp(Sweeps.op(result.getOp()))
                    .addAllNodes(perOp.comm().nodeNames())
                    .setBytes(row.getSizeBytes())
                    .setP50Us(row.getOutOfPlace().getP50Us())
                    .setP99Us(p99.orElse(row.getOutOfPlace().getP99Us()))
                    .setP99AllIterations(p99.isPresent())
                    .setSamples(perOp.comm().spec().getIters())
                    .setCudaGraphs(false)
                    .setRanks(result.getNranks())
                    .setGraphMeanUs(graphMean.getOrDefault(row.getSizeBytes(), 0.0))
                    .setLabel(base(perOp.comm().label(), PER_OP))
                    .build());
        }
        return rows;
    }

    /**
     * The 99th percentile (nearest rank) over every timed iteration of every rank, where the
     * placement carries them: a mean of per-rank p99s hides one slow rank's tail.
     */
    static OptionalDouble p99OverAllIterations(Placement placement) {
        int count = 0;
        for (RankIterations rank : placement.getRankIterationsList()) {
            count += rank.getIterationUsCount();
        }
        if (count == 0) {
            return OptionalDouble.empty();
        }
        double[] all = new double[count];
        int i = 0;
        for (RankIterations rank : placement.getRankIterationsList()) {
            for (double us : rank.getIterationUsList()) {
                all[i++] = us;
            }
        }
        java.util.Arrays.sort(all);
        return OptionalDouble.of(all[(int) Math.ceil(0.99 * count) - 1]);
    }
}
