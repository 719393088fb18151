package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.hostnet.PairSchedule;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.PeerPair;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Send/recv between node pairs, GPU k of one node with GPU k of the other (both directions at
 * once), in rounds of disjoint pairs (the circle method: n-1 rounds of n/2 pairs): the node-by-node
 * matrix. Above {@link PairSchedule#ALL_PAIRS_UP_TO} nodes all pairs grow too many, so only ring
 * neighbours are measured, then every suspect (a node slow with both neighbours, or one the rails
 * named) against a few healthy references.
 */
public final class PairwisePhase {
    public static final String NAME = "pairwise";
    static final String CHECK_ID = "nccl.pairwise";
    /** Healthy nodes each suspect is measured against, above the all-pairs size. */
    static final int REFERENCES = 3;

    private PairwisePhase() {}

    public static void run(BenchContext ctx, Set<String> railSuspects) {
        ctx.countersBefore(NAME);
        BenchSettings settings = ctx.settings();
        List<BenchNode> nodes = ctx.nodes();
        List<CommRun> outcomes = new ArrayList<>(ctx.repeatFailures(NAME, ctx.run(NAME, plan(nodes, settings))));
        boolean allPairs = nodes.size() <= PairSchedule.ALL_PAIRS_UP_TO;
        if (!allPairs) {
            Set<String> suspects = new LinkedHashSet<>();
            for (BenchNode node : ctx.nodes()) {
                if (railSuspects.contains(node.name())) {
                    suspects.add(node.name());
                }
            }
            settings.outliers().ifPresent(o -> suspects.addAll(
                    NodeOutliers.suspects(outcomes, NodeOutliers.Aggregate.BEST, o).nodes()));
            List<Communicator> followUp = around(ctx.nodes(), suspects, outcomes, settings);
            if (!followUp.isEmpty()) {
                ctx.line(NAME + ": measuring " + suspects.size() + " suspect node(s) against " + REFERENCES
                        + " healthy ones each");
                outcomes.addAll(ctx.repeatFailures(NAME, ctx.run(NAME, Rounds.disjoint(followUp))));
            }
        }
        List<CommRun> kept = outcomes;
        if (settings.outliers().isPresent()) {
            NodeOutliers.Aggregate aggregate = allPairs ? NodeOutliers.Aggregate.MEDIAN : NodeOutliers.Aggregate.BEST;
            kept = ctx.repeatLow(NAME, kept, NodeOutliers.measurementsOf(kept,
                    NodeOutliers.suspects(kept, aggregate, settings.outliers().get())));
            ctx.reportSuspects(CHECK_ID, "send/recv with the other nodes", "pairwise",
                    NodeOutliers.suspects(kept, aggregate, settings.outliers().get()),
                    "check this node's NICs, cables and switch ports (rates, port counters) and its rail results");
        }
        List<String> names = new ArrayList<>();
        for (BenchNode node : nodes) {
            names.add(node.name());
        }
        ctx.results().pairwiseNodes(names);
        for (CommRun outcome : kept) {
            CollectiveResult result = outcome.results().getResults(0);
            if (outcome.ok() && result.getRowsCount() > 0) {
                List<String> pair = outcome.comm().nodeNames();
                ctx.results().addPair(PairResult.newBuilder().setA(pair.get(0)).setB(pair.get(1))
                        .setBytes(result.getRows(result.getRowsCount() - 1).getSizeBytes())
                        .setBusbwBytesPerSecond(outcome.busbw().getAsDouble())
                        .build());
            }
        }
        ctx.addSeries(kept);
        ctx.reportFailures(kept);
        ctx.countersAfter(NAME);
    }

    /** Every pair in n-1 rounds up to the all-pairs size, ring neighbours above it. */
    public static List<List<Communicator>> plan(List<BenchNode> nodes, BenchSettings settings) {
        List<List<Communicator>> rounds = new ArrayList<>();
        for (List<PairSchedule.Pair> round : PairSchedule.rounds(nodes.size())) {
            List<Communicator> comms = new ArrayList<>();
            for (PairSchedule.Pair pair : round) {
                comms.add(pair(nodes.get(Math.min(pair.from(), pair.to())), nodes.get(Math.max(pair.from(), pair.to())),
                        settings));
            }
            rounds.add(comms);
        }
        return rounds;
    }

    /**
     * Two nodes' first min(GPUs) GPUs, GPU k of each sending to GPU k of the other: ranks 0..m-1 on
     * the first node, m..2m-1 on the second.
     */
    static Communicator pair(BenchNode a, BenchNode b, BenchSettings settings) {
        int m = Math.min(a.gpuCount(), b.gpuCount());
        BenchSpec.Builder peers = BenchSpec.newBuilder();
        for (int k = 0; k < m; k++) {
            peers.addPeerPairs(PeerPair.newBuilder().setSender(k).setReceiver(m + k));
            peers.addPeerPairs(PeerPair.newBuilder().setSender(m + k).setReceiver(k));
        }
        BenchSpec spec = settings.spec(settings.profile().pairwise(), List.of(BenchSpec.Op.SENDRECV),
                BenchSpec.DataType.BFLOAT16, 2 * m, true, peers);
        return new Communicator(NAME, "pair " + a.name() + "~" + b.name(), Sweep.Kind.PAIR, -1,
                List.of(new Member(a, a.gpus().subList(0, m)), new Member(b, b.gpus().subList(0, m))), spec);
    }

    /** Each suspect with up to {@link #REFERENCES} non-suspects it was not yet paired with, spread around the ring. */
    static List<Communicator> around(List<BenchNode> nodes, Set<String> suspects, List<CommRun> measured,
            BenchSettings settings) {
        Set<String> done = new HashSet<>();
        for (CommRun outcome : measured) {
            done.add(String.join("~", outcome.comm().nodeNames()));
        }
        List<Communicator> comms = new ArrayList<>();
        int n = nodes.size();
        for (int i = 0; i < n; i++) {
            BenchNode suspect = nodes.get(i);
            if (!suspects.contains(suspect.name())) {
                continue;
            }
            int found = 0;
            for (int step = 0; step < n && found < REFERENCES; step++) {
                // start half-way round the ring: far from the suspect's neighbours and their switch
                BenchNode other = nodes.get((i + n / 2 + step) % n);
                if (other == suspect || suspects.contains(other.name())) {
                    continue;
                }
                BenchNode a = suspect.index() < other.index() ? suspect : other;
                BenchNode b = a == suspect ? other : suspect;
                if (done.add(a.name() + "~" + b.name())) {
                    comms.add(pair(a, b, settings));
                    found++;
                }
            }
        }
        return comms;
    }
}
