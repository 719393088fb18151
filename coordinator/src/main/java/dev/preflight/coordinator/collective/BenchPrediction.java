package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.hostnet.PairSchedule;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bench phases' predicted wall time, from their own plans (the same rounds they will run) and
 * {@link Estimate}'s model: before the bench at the nominal rates, and revised after each phase at
 * the slowest rates measured so far (a slow link makes every later round slower). Repeats of failing
 * or low measurements come on top. Fault isolation runs only when a collective fails or runs slow,
 * so it is predicted apart, for a fault that always shows ({@link FaultIsolationPhase#prediction}).
 */
public final class BenchPrediction {
    /**
     * The order in which phases are cut when the revised prediction of what is left exceeds the
     * budget left: what the others already cover, or what costs most for what it adds, first.
     * Pairwise is O(N) rounds where fault isolation is O(log N); intra_node (which learns the
     * GPUs) and fault_isolation (which bounds its own rounds by the budget left) are never cut.
     */
    public static final List<String> CUT_ORDER = List.of(PairwisePhase.NAME, InferencePhase.NAME, RailsPhase.NAME,
            AllNodesPhase.NAME);

    private BenchPrediction() {}

    /** @param phases names of the bench phases to run ({@link IntraNodePhase#NAME}, ...) */
    public static Duration of(List<BenchNode> nodes, BenchSettings settings, Set<String> phases) {
        double seconds = phases.contains(IntraNodePhase.NAME) ? 0 : Estimate.START_SECONDS;
        for (Duration phase : perPhase(nodes, settings, phases, Estimate.nominalRate(true), Estimate.nominalRate(false))
                .values()) {
            seconds += phase.toMillis() / 1000.0;
        }
        return Duration.ofMillis((long) (seconds * 1000));
    }

    /**
     * Each phase's prediction at the given bus bandwidths (bytes per second) between nodes and inside
     * one, in run order; fault isolation is left out.
     */
    public static Map<String, Duration> perPhase(List<BenchNode> nodes, BenchSettings settings, Set<String> phases,
            double across, double inside) {
        Map<String, Duration> predicted = new LinkedHashMap<>();
        if (phases.contains(IntraNodePhase.NAME)) {
            predicted.put(IntraNodePhase.NAME, duration(Estimate.seconds(List.of(IntraNodePhase.plan(nodes, settings)),
                    across, inside)));
        }
        if (phases.contains(AllNodesPhase.NAME)) {
            predicted.put(AllNodesPhase.NAME, duration(Estimate.seconds(AllNodesPhase.plan(nodes, settings), across,
                    inside)));
        }
        if (phases.contains(RailsPhase.NAME)) {
            predicted.put(RailsPhase.NAME, duration(Estimate.seconds(RailsPhase.plan(nodes, settings), across, inside)));
        }
        if (phases.contains(PairwisePhase.NAME)) {
            List<List<Communicator>> rounds = PairwisePhase.plan(nodes, settings);
            double seconds = Estimate.seconds(rounds, across, inside);
            if (nodes.size() > PairSchedule.ALL_PAIRS_UP_TO && !rounds.isEmpty()) {
                // the suspects' pairs with their references: a few more rounds when there are any
                seconds += PairwisePhase.REFERENCES * Estimate.seconds(List.of(rounds.get(0)), across, inside);
            }
            predicted.put(PairwisePhase.NAME, duration(seconds));
        }
        if (phases.contains(InferencePhase.NAME) && !nodes.isEmpty()) {
            try {
                predicted.put(InferencePhase.NAME, duration(Estimate.seconds(Rounds.disjoint(InferencePhase.plan(
                        InferenceLayout.of(nodes, settings.tp(), settings.pp()), settings)), across, inside)));
            } catch (IllegalArgumentException e) {
                // the phase will fail and say why; it takes no time
                predicted.put(InferencePhase.NAME, Duration.ZERO);
            }
        }
        return predicted;
    }

    private static Duration duration(double seconds) {
        return Duration.ofMillis((long) (seconds * 1000));
    }
}
