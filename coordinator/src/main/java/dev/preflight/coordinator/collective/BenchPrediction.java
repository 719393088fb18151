package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.hostnet.PairSchedule;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The bench phases' predicted wall time, from their own plans (the same rounds they will run) and
 * {@link Estimate}'s model. Repeats of failing or low measurements come on top.
 */
public final class BenchPrediction {
    private BenchPrediction() {}

    /** @param phases names of the bench phases to run ({@link IntraNodePhase#NAME}, ...) */
    public static Duration of(List<BenchNode> nodes, BenchSettings settings, Set<String> phases) {
        double seconds = phases.contains(IntraNodePhase.NAME)
                ? Estimate.seconds(List.of(IntraNodePhase.plan(nodes, settings)))
                : Estimate.START_SECONDS;
        if (phases.contains(AllNodesPhase.NAME)) {
            seconds += Estimate.seconds(AllNodesPhase.plan(nodes, settings));
        }
        if (phases.contains(RailsPhase.NAME)) {
            seconds += Estimate.seconds(RailsPhase.plan(nodes, settings));
        }
        if (phases.contains(PairwisePhase.NAME)) {
            List<List<Communicator>> rounds = PairwisePhase.plan(nodes, settings);
            seconds += Estimate.seconds(rounds);
            if (nodes.size() > PairSchedule.ALL_PAIRS_UP_TO && !rounds.isEmpty()) {
                // the suspects' pairs with their references: a few more rounds when there are any
                seconds += PairwisePhase.REFERENCES * Estimate.seconds(List.of(rounds.get(0)));
            }
        }
        if (phases.contains(InferencePhase.NAME) && !nodes.isEmpty()) {
            try {
                seconds += Estimate.seconds(Rounds.disjoint(InferencePhase.plan(
                        InferenceLayout.of(nodes, settings.tp(), settings.pp()), settings)));
            } catch (IllegalArgumentException e) {
                // the phase will fail and say why; it takes no time
            }
        }
        return Duration.ofMillis((long) (seconds * 1000));
    }
}
