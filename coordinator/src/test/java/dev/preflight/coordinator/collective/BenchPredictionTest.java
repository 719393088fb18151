package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The run's own prediction (the phases' plans, the engine's work per size, the nominal rates) against the targets. */
class BenchPredictionTest {
    private static final Set<String> QUICK_PHASES = Set.of(IntraNodePhase.NAME, AllNodesPhase.NAME, RailsPhase.NAME);
    private static final Set<String> FULL_PHASES = Set.of(IntraNodePhase.NAME, AllNodesPhase.NAME, RailsPhase.NAME,
            PairwisePhase.NAME, InferencePhase.NAME);

    private static BenchSettings profile(BenchProfile profile) {
        return FaultIsolationScalePerfTest.profile(profile);
    }

    @Test
    void twoNodesOfEightH100sArePredictedUnderAMinuteQuickAndUnderFiveMinutesFull() {
        List<BenchNode> nodes = FaultIsolationScalePerfTest.nodes(2);
        Duration quick = BenchPrediction.of(nodes, profile(BenchProfile.QUICK), QUICK_PHASES);
        Duration full = BenchPrediction.of(nodes, profile(BenchProfile.FULL), FULL_PHASES);
        Map<String, Duration> perPhase = BenchPrediction.perPhase(nodes, profile(BenchProfile.FULL), FULL_PHASES,
                Estimate.nominalRate(true), Estimate.nominalRate(false));
        System.out.println("2 x 8 H100, predicted at the nominal rates: quick " + Estimate.format(quick) + ", full "
                + Estimate.format(full) + " " + perPhase);
        assertTrue(quick.compareTo(Duration.ofMinutes(1)) < 0, Estimate.format(quick));
        assertTrue(full.compareTo(Duration.ofMinutes(5)) < 0, Estimate.format(full) + " " + perPhase);
    }

    @Test
    void theSweepIsPredictedFromTheSpecTheEngineRuns() {
        // the all-node phase's first communicator: its prediction is its start-up plus the engine's work for its spec
        List<BenchNode> nodes = FaultIsolationScalePerfTest.nodes(2);
        Communicator comm = AllNodesPhase.plan(nodes, profile(BenchProfile.QUICK)).get(0).get(0);
        assertEquals(Estimate.START_SECONDS + Estimate.sweepSeconds(comm.spec(), 16, true), Estimate.seconds(comm), 1e-9);
    }
}
