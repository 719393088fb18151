package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.coordinator.hostnet.PairSchedule;
import dev.preflight.coordinator.outliers.Outliers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The scale model: the real bisection ({@link Bisection}, confirmation and noise floor included)
 * and the real probe and pairwise planners ({@link FaultIsolationPhase#probe}, {@link PairwisePhase#plan})
 * against a modelled cluster of N nodes of 8 GPUs ({@link ClusterModel}) with one injected fault,
 * for N = 16 to 4,096; rounds and predicted wall time ({@link Estimate}'s model: a start-up per
 * communicator, the engine's work for the probe's spec at the nominal 10 GB/s between nodes, slower
 * by the fault's factor; a failing collective costs its deadline) against pairwise send/recv and a
 * plain binary search (one half at a time, no confirmation, no cross-boundary stage). An
 * intermittent node is run over {@link #SEEDS} seeds and its outcomes counted. Prints the tables
 * of docs/benchmarks.md; asserts nothing about time. A performance benchmark: runs only with
 * -Dpreflight.perf=true (see docs/benchmarks.md).
 */
@EnabledIfSystemProperty(named = "preflight.perf", matches = "true", disabledReason = "a performance benchmark: run with -Dpreflight.perf=true")
class FaultIsolationScalePerfTest {
    static final int GPUS = 8;
    static final double LINE_RATE = 8 * 48e9;
    static final int[] SIZES = {16, 64, 256, 1000, 4096};
    static final int SEEDS = 100;
    /** The policy's slow fraction, as a run without a policy file judges groups. */
    static final double SLOW = Outliers.Settings.DEFAULT.relativeFloor();

    private record Fault(String name, Function<ClusterModel, ClusterModel> inject, Set<String> culprit) {}

    private record Run(int rounds, double seconds, boolean named) {}

    private static List<Fault> faults(int n) {
        String bad = ClusterModel.name(n / 2 + 3);
        String far = ClusterModel.name(n / 4 + 1);
        return List.of(
                new Fault("slow node (50%)", m -> m.slowNode(bad, 0.5), Set.of(bad)),
                new Fault("hung node", m -> m.brokenNode(bad), Set.of(bad)),
                new Fault("slow link (2% of line rate)", m -> m.slowLink(far, bad, 0.02), Set.of(far, bad)),
                new Fault("broken link", m -> m.slowLink(far, bad, 0), Set.of(far, bad)),
                new Fault("intermittent node (50%)", m -> m.intermittentNode(bad, 0.5), Set.of(bad)));
    }

    @Test
    void roundsAndWallTimeAgainstPairwiseAndBinarySearch() {
        BenchSettings probeSettings = profile(BenchProfile.QUICK);
        System.out.println("| N | fault | bisection: rounds | time | named | pairwise: rounds | time | named "
                + "| binary search: rounds | time | named |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (int n : SIZES) {
            List<BenchNode> nodes = nodes(n);
            for (Fault fault : faults(n)) {
                Run bisection = bisection(fault, n, nodes, probeSettings, 42);
                Run pairwise = pairwise(fault, n, nodes, probeSettings);
                Run binary = binarySearch(fault, n, nodes, probeSettings);
                System.out.println(String.format(Locale.ROOT, "| %,d | %s | %d | %s | %s | %d | %s | %s | %d | %s | %s |",
                        n, fault.name(), bisection.rounds(), time(bisection.seconds()), yes(bisection.named()),
                        pairwise.rounds(), time(pairwise.seconds()), yes(pairwise.named()), binary.rounds(),
                        time(binary.seconds()), yes(binary.named())));
            }
        }
        System.out.println();
        System.out.println("| N | bisection: named, every confirmation | named intermittent | a link or group holding it "
                + "| someone else | unconfirmed only | nobody | rounds (mean, most) | time (mean) "
                + "| pairwise: named | binary search: named |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (int n : SIZES) {
            intermittent(n, nodes(n), probeSettings);
        }
        List<BenchNode> twoH100 = nodes(2);
        System.out.println();
        System.out.println("2 x 8 GPUs, predicted at the nominal rates: quick " + Estimate.format(BenchPrediction.of(
                twoH100, profile(BenchProfile.QUICK), Set.of("intra_node", "all_nodes", "rails")))
                + ", full " + Estimate.format(BenchPrediction.of(twoH100, profile(BenchProfile.FULL),
                        Set.of("intra_node", "all_nodes", "rails", "pairwise", "inference")))
                + "; at 8xH100 figures (45 GB/s bus bandwidth between nodes, 370 inside one): quick "
                + Estimate.format(sum(BenchPrediction.perPhase(twoH100, profile(BenchProfile.QUICK),
                        Set.of("intra_node", "all_nodes", "rails"), 45e9, 370e9)))
                + ", full " + Estimate.format(sum(BenchPrediction.perPhase(twoH100, profile(BenchProfile.FULL),
                        Set.of("intra_node", "all_nodes", "rails", "pairwise", "inference"), 45e9, 370e9))));
    }

    /** The intermittent node over {@link #SEEDS} seeds: how often each outcome, the mean rounds and time. */
    private static void intermittent(int n, List<BenchNode> nodes, BenchSettings settings) {
        String bad = ClusterModel.name(n / 2 + 3);
        int[] outcomes = new int[6];
        int rounds = 0;
        int most = 0;
        double seconds = 0;
        int pairwiseNamed = 0;
        int binaryNamed = 0;
        for (int seed = 1; seed <= SEEDS; seed++) {
            ClusterModel model = new ClusterModel(n, LINE_RATE, seed).intermittentNode(bad, 0.5);
            Bisection.Conclusion outcome = new Bisection(model.nodes(), List.of(), SLOW, Bisection.roundLimit(n)).run(model);
            outcomes[classify(outcome, bad)]++;
            rounds += outcome.rounds().size();
            most = Math.max(most, outcome.rounds().size());
            seconds += modelSeconds(model, nodes, settings);
            Fault fault = new Fault("intermittent", m -> m.intermittentNode(bad, 0.5), Set.of(bad));
            pairwiseNamed += pairwise(fault, n, nodes, settings, seed).named() ? 1 : 0;
            binaryNamed += binarySearch(fault, n, nodes, settings, seed).named() ? 1 : 0;
        }
        System.out.println(String.format(Locale.ROOT, "| %,d | %d | %d | %d | %d | %d | %d | %.1f, %d | %s | %d | %d |", n,
                outcomes[0], outcomes[1], outcomes[2], outcomes[3], outcomes[4], outcomes[5], (double) rounds / SEEDS, most,
                time(seconds / SEEDS), pairwiseNamed, binaryNamed));
    }

    /**
     * 0: the node named, reproduced in every confirmation; 1: named intermittent; 2: a link or
     * group holding it named; 3: someone else named; 4: only unconfirmed; 5: nothing.
     */
    private static int classify(Bisection.Conclusion outcome, String bad) {
        if (outcome.culprits().isEmpty()) {
            return outcome.unconfirmed().isEmpty() ? 5 : 4;
        }
        if (outcome.culprits().stream().noneMatch(c -> c.nodes().contains(bad))) {
            return 3;
        }
        if (outcome.culprits().size() == 1 && outcome.culprits().get(0).kind() == Bisection.Kind.NODE) {
            return outcome.culprits().get(0).intermittent() ? 1 : 0;
        }
        return 2;
    }

    private static Duration sum(java.util.Map<String, Duration> phases) {
        return phases.values().stream().reduce(Duration.ZERO, Duration::plus);
    }

    private static String yes(boolean named) {
        return named ? "yes" : "no";
    }

    private static String time(double seconds) {
        return Estimate.format(Duration.ofMillis((long) (seconds * 1000)));
    }

    static List<BenchNode> nodes(int n) {
        List<BenchNode> nodes = new ArrayList<>();
        List<Integer> gpus = new ArrayList<>();
        for (int g = 0; g < GPUS; g++) {
            gpus.add(g);
        }
        for (int i = 0; i < n; i++) {
            nodes.add(new BenchNode(i, ClusterModel.name(i + 1), new AgentTarget(ClusterModel.name(i + 1) + ":7744", null),
                    gpus, "NVIDIA H100 80GB HBM3", 80L << 30));
        }
        return nodes;
    }

    /** A round's wall time: its slowest group, a failed one (rate 0) costing its deadline. */
    private static double roundSeconds(List<List<String>> groups, List<Double> rates, List<BenchNode> nodes,
            BenchSettings settings) {
        double slowest = 0;
        for (int k = 0; k < groups.size(); k++) {
            List<BenchNode> members = new ArrayList<>();
            for (String name : groups.get(k)) {
                members.add(nodes.get(Integer.parseInt(name.substring("node-".length())) - 1));
            }
            Communicator comm = FaultIsolationPhase.probe("model", members, -1, settings);
            double factor = rates.get(k) / LINE_RATE;
            double seconds = factor == 0 ? comm.spec().getTimeout().getSeconds()
                    : Estimate.START_SECONDS + Estimate.sweepSeconds(comm.spec(), comm.layout().nranks(), true,
                            Estimate.nominalRate(true) * factor);
            slowest = Math.max(slowest, seconds);
        }
        return slowest;
    }

    private static Run bisection(Fault fault, int n, List<BenchNode> nodes, BenchSettings settings, long seed) {
        ClusterModel model = fault.inject().apply(new ClusterModel(n, LINE_RATE, seed));
        Bisection.Conclusion outcome = new Bisection(model.nodes(), List.of(), SLOW, Bisection.roundLimit(n)).run(model);
        boolean named = outcome.culprits().size() == 1
                && Set.copyOf(outcome.culprits().get(0).nodes()).equals(fault.culprit());
        return new Run(outcome.rounds().size(), modelSeconds(model, nodes, settings), named);
    }

    /** The predicted wall time of every round the model measured. */
    private static double modelSeconds(ClusterModel model, List<BenchNode> nodes, BenchSettings settings) {
        double seconds = 0;
        for (int r = 0; r < model.rounds().size(); r++) {
            List<List<String>> groups = new ArrayList<>();
            model.rounds().get(r).forEach(g -> groups.add(g.nodes()));
            seconds += roundSeconds(groups, model.rates().get(r), nodes, settings);
        }
        return seconds;
    }

    /**
     * The pairwise phase's own plan (every pair up to 32 nodes, ring neighbours above), each pair
     * as two nodes' collective; above 32 nodes the suspects' pairs with references come on top.
     * It names a node whose pairs are bad and a link whose pair it measured.
     */
    private static Run pairwise(Fault fault, int n, List<BenchNode> nodes, BenchSettings settings) {
        return pairwise(fault, n, nodes, settings, 42);
    }

    private static Run pairwise(Fault fault, int n, List<BenchNode> nodes, BenchSettings settings, long seed) {
        ClusterModel model = fault.inject().apply(new ClusterModel(n, LINE_RATE, seed));
        List<List<Communicator>> plan = PairwisePhase.plan(nodes, settings);
        double seconds = 0;
        Set<String> badPairs = new LinkedHashSet<>();
        for (List<Communicator> round : plan) {
            List<List<String>> groups = new ArrayList<>();
            List<Double> rates = new ArrayList<>();
            for (Communicator comm : round) {
                double rate = model.rate(comm.nodeNames());
                groups.add(comm.nodeNames());
                rates.add(rate);
                if (rate < (1 - SLOW) * LINE_RATE) {
                    badPairs.addAll(comm.nodeNames());
                }
            }
            seconds += roundSeconds(groups, rates, nodes, settings);
        }
        int rounds = plan.size();
        if (n > PairSchedule.ALL_PAIRS_UP_TO && !badPairs.isEmpty()) {
            // each suspect against three healthy references, one round each
            rounds += PairwisePhase.REFERENCES;
            List<String> pair = List.of(badPairs.iterator().next(), ClusterModel.name(1));
            seconds += PairwisePhase.REFERENCES * roundSeconds(List.of(pair), List.of(model.rate(pair)), nodes, settings);
        }
        boolean named = fault.culprit().size() == 1 ? badPairs.containsAll(fault.culprit())
                : badPairs.containsAll(fault.culprit()) && badPairs.size() == 2;
        return new Run(rounds, seconds, named);
    }

    /**
     * A plain binary search: measure the first half alone (a lone node with a node already
     * cleared); bad, go into it, else into the other half, unmeasured. One group per round, no
     * confirmation, no cross-boundary stage.
     */
    private static Run binarySearch(Fault fault, int n, List<BenchNode> nodes, BenchSettings settings) {
        return binarySearch(fault, n, nodes, settings, 42);
    }

    private static Run binarySearch(Fault fault, int n, List<BenchNode> nodes, BenchSettings settings, long seed) {
        ClusterModel model = fault.inject().apply(new ClusterModel(n, LINE_RATE, seed));
        List<String> suspects = model.nodes();
        List<String> cleared = new ArrayList<>();
        int rounds = 0;
        double seconds = 0;
        while (suspects.size() > 1) {
            List<String> first = suspects.subList(0, suspects.size() / 2);
            List<String> measured = new ArrayList<>(first);
            if (measured.size() < 2 && !cleared.isEmpty()) {
                measured.add(cleared.get(0));
            }
            if (measured.size() < 2) {
                break;
            }
            double rate = model.rate(measured);
            rounds++;
            seconds += roundSeconds(List.of(measured), List.of(rate), nodes, settings);
            if (rate < (1 - SLOW) * LINE_RATE) {
                suspects = first;
            } else {
                cleared.addAll(first);
                suspects = suspects.subList(suspects.size() / 2, suspects.size());
            }
        }
        return new Run(rounds, seconds, Set.copyOf(suspects).equals(fault.culprit()));
    }

    /** A profile's own sizes and iterations, as a run without overrides has them. */
    static BenchSettings profile(BenchProfile profile) {
        return new BenchSettings(profile, 0, 0, Optional.empty(), profile.budget(), 0, 0, List.of(),
                Optional.of(Outliers.Settings.DEFAULT), Duration.ofSeconds(10));
    }
}
