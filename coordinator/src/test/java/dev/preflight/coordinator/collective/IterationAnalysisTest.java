package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.Measurements.IterationFinding;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.RankIterations;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Stragglers and spikes in per-rank iteration times, as analyze_perf_json.py --straggler/--spikes reads them. */
class IterationAnalysisTest {
    private static final IterationAnalysis.Settings SETTINGS = new IterationAnalysis.Settings(0.2, 1.5);

    private static RankIterations rank(int rank, String node, double... us) {
        RankIterations.Builder r = RankIterations.newBuilder().setRank(rank).setNode(node);
        for (double u : us) {
            r.addIterationUs(u);
        }
        return r.build();
    }

    private static List<IterationFinding> analyse(RankIterations... ranks) {
        return IterationAnalysis.of("rails", "rail 0 (4 nodes)", 1 << 20,
                Placement.newBuilder().addAllRankIterations(List.of(ranks)).build(), SETTINGS);
    }

    @Test
    void steadyRanksGiveNothing() {
        assertTrue(analyse(rank(0, "a", 100, 101, 99, 100), rank(1, "b", 100, 102, 98, 100),
                rank(2, "c", 101, 100, 100, 99)).isEmpty());
    }

    @Test
    void aRankSlowEveryIterationIsAStragglerOnlyAboveTheMargin() {
        // median mean 100 us: 119 is within 20%, 121 is not
        assertTrue(analyse(rank(0, "a", 100, 100), rank(1, "b", 100, 100), rank(2, "c", 119, 119)).isEmpty());
        List<IterationFinding> findings = analyse(rank(0, "a", 100, 100), rank(1, "b", 100, 100), rank(2, "c", 121, 121));
        assertEquals(1, findings.size(), findings.toString());
        IterationFinding straggler = findings.get(0);
        assertEquals(IterationFinding.Kind.STRAGGLER, straggler.getKind());
        assertEquals(List.of(2), straggler.getRanksList());
        assertEquals(List.of("c"), straggler.getNodesList());
        assertEquals(-1, straggler.getIteration());
        assertEquals(121, straggler.getTimeUs(), 1e-9);
        assertEquals(100, straggler.getMedianUs(), 1e-9);
    }

    @Test
    void aRankThatFlapsInOneIterationSpikesThereOnlyAboveTheFactor() {
        // median of the per-iteration slowest: 100 us; 149 is below 1.5x, 151 above
        assertTrue(analyse(rank(0, "a", 100, 100, 100, 100, 100), rank(1, "b", 100, 100, 100, 100, 100),
                rank(2, "c", 100, 100, 149, 100, 100)).isEmpty());
        List<IterationFinding> findings = analyse(rank(0, "a", 100, 100, 100, 100, 100),
                rank(1, "b", 100, 100, 100, 100, 100), rank(2, "c", 100, 100, 151, 100, 100));
        assertEquals(1, findings.size(), findings.toString());
        IterationFinding spike = findings.get(0);
        assertEquals(IterationFinding.Kind.SPIKE, spike.getKind());
        assertEquals(2, spike.getIteration());
        assertEquals(List.of("c"), spike.getNodesList());
        assertEquals(Set.of("c"), IterationAnalysis.nodes(findings));
    }

    @Test
    void aSpikeOnEveryRankIsSystemWideAndNamesNoNode() {
        List<IterationFinding> findings = analyse(rank(0, "a", 100, 400, 100, 100), rank(1, "b", 100, 400, 100, 100));
        assertEquals(1, findings.size(), findings.toString());
        assertEquals(List.of(0, 1), findings.get(0).getRanksList());
        assertTrue(findings.get(0).getNodesList().isEmpty());
        assertTrue(IterationAnalysis.nodes(findings).isEmpty());
    }

    @Test
    void placementsWithoutPerIterationTimesGiveNothing() {
        assertTrue(analyse().isEmpty());
        assertTrue(analyse(rank(0, "a", 100, 500)).isEmpty(), "one rank has nobody to compare with");
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new IterationAnalysis.Settings(0, 1.5));
        assertThrows(IllegalArgumentException.class, () -> new IterationAnalysis.Settings(0.2, 1.0));
    }
}
