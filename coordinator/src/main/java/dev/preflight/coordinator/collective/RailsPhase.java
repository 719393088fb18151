package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.hostnet.PairSchedule;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.Measurements.Sweep;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Each GPU-NIC rail on its own communicator: GPU k of every node (a node with fewer GPUs sits out
 * rail k), so a bad NIC or cable shows as a slow rail. A rail spanning every node runs at its
 * slowest link, which names the rail but not the node; so each rail is then measured between ring
 * neighbours (two or three rounds of disjoint pairs), where a node whose every pair is slow is the
 * one.
 *
 * <p>The rails run together, every rail's communicator in the same round (the agents let one run's
 * benches share a node on disjoint GPUs), as the workload drives them: a rail is measured under the
 * load every other rail puts on the node's PCIe switches and the fabric, and a node's rails take
 * the time of one.
 */
public final class RailsPhase {
    public static final String NAME = "rails";
    static final String CHECK_ID = "nccl.rail";

    private RailsPhase() {}

    /** @return the nodes named slow on some rail */
    public static Set<String> run(BenchContext ctx) {
        ctx.countersBefore(NAME);
        BenchSettings settings = ctx.settings();
        List<BenchNode> nodes = ctx.nodes();
        List<CommRun> outcomes = ctx.run(NAME, plan(nodes, settings));
        outcomes = ctx.repeatFailures(NAME, outcomes);
        Set<String> named = new LinkedHashSet<>();
        if (settings.outliers().isPresent()) {
            List<CommRun> low = new ArrayList<>();
            for (int rail = 0; rail < maxGpus(nodes); rail++) {
                List<CommRun> pairs = pairsOf(outcomes, rail);
                low.addAll(NodeOutliers.measurementsOf(pairs,
                        NodeOutliers.suspects(pairs, NodeOutliers.Aggregate.BEST, settings.outliers().get())));
            }
            outcomes = ctx.repeatLow(NAME, outcomes, low);
            for (int rail = 0; rail < maxGpus(nodes); rail++) {
                NodeOutliers.Suspects suspects = NodeOutliers.suspects(pairsOf(outcomes, rail), NodeOutliers.Aggregate.BEST,
                        settings.outliers().get());
                named.addAll(suspects.nodes());
                ctx.reportSuspects(CHECK_ID, "rail " + rail, "rail " + rail, suspects, "check rail " + rail
                        + "'s NIC, cable and switch port on this node (rate, port counters) and that GPU " + rail
                        + " and its NIC share a PCIe switch");
            }
        }
        ctx.addSeries(outcomes);
        ctx.reportFailures(outcomes);
        ctx.countersAfter(NAME);
        return named;
    }

    /** Every rail across every node at once, then each ring round of neighbour pairs on every rail at once. */
    public static List<List<Communicator>> plan(List<BenchNode> nodes, BenchSettings settings) {
        List<List<Communicator>> rounds = new ArrayList<>();
        List<Communicator> whole = new ArrayList<>();
        for (int rail = 0; rail < maxGpus(nodes); rail++) {
            List<BenchNode> members = members(nodes, rail);
            if (members.size() >= 2) {
                whole.add(communicator(settings, rail, members, "rail " + rail + " (" + members.size() + " nodes)"));
            }
        }
        if (!whole.isEmpty()) {
            rounds.add(whole);
        }
        List<List<Communicator>> pairRounds = new ArrayList<>();
        for (int rail = 0; rail < maxGpus(nodes); rail++) {
            List<BenchNode> members = members(nodes, rail);
            if (members.size() < 3) {
                // two nodes: the rail across every node is already their pair
                continue;
            }
            List<List<PairSchedule.Pair>> ring = PairSchedule.ring(members.size());
            for (int r = 0; r < ring.size(); r++) {
                if (pairRounds.size() == r) {
                    pairRounds.add(new ArrayList<>());
                }
                for (PairSchedule.Pair pair : ring.get(r)) {
                    BenchNode a = members.get(Math.min(pair.from(), pair.to()));
                    BenchNode b = members.get(Math.max(pair.from(), pair.to()));
                    pairRounds.get(r).add(communicator(settings, rail, List.of(a, b), pairLabel(rail, a, b)));
                }
            }
        }
        rounds.addAll(pairRounds);
        return rounds;
    }

    static String pairLabel(int rail, BenchNode a, BenchNode b) {
        return "rail " + rail + " " + a.name() + "~" + b.name();
    }

    private static Communicator communicator(BenchSettings settings, int rail, List<BenchNode> nodes, String label) {
        List<Member> members = new ArrayList<>();
        for (BenchNode node : nodes) {
            members.add(Member.gpu(node, rail));
        }
        // every rank's every iteration, for the stragglers and spikes fault isolation looks for
        BenchSpec spec = settings.spec(settings.profile().rails(), List.of(BenchSpec.Op.ALL_REDUCE),
                BenchSpec.DataType.BFLOAT16, nodes.size(), true, BenchSpec.newBuilder().setPerIteration(true));
        return new Communicator(NAME, label, Sweep.Kind.RAIL, rail, members, spec);
    }

    /** The rail's pair measurements (two nodes) among the outcomes. */
    private static List<CommRun> pairsOf(List<CommRun> outcomes, int rail) {
        List<CommRun> pairs = new ArrayList<>();
        for (CommRun outcome : outcomes) {
            if (outcome.comm().rail() == rail && outcome.comm().members().size() == 2) {
                pairs.add(outcome);
            }
        }
        return pairs;
    }

    static List<BenchNode> members(List<BenchNode> nodes, int rail) {
        List<BenchNode> members = new ArrayList<>();
        for (BenchNode node : nodes) {
            if (node.gpuCount() > rail) {
                members.add(node);
            }
        }
        return members;
    }

    static int maxGpus(List<BenchNode> nodes) {
        return nodes.stream().mapToInt(BenchNode::gpuCount).max().orElse(0);
    }
}
