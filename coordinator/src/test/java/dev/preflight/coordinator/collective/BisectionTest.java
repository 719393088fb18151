package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class BisectionTest {
    private static final double SLOW = 0.2;

    private static Bisection.Conclusion isolate(ClusterModel model) {
        return new Bisection(model.nodes(), List.of(), SLOW, 100).run(model);
    }

    private static String culprits(Bisection.Conclusion outcome) {
        return outcome.culprits().stream().map(Bisection.Culprit::name).toList().toString();
    }

    @Test
    void aSlowNodeAmongEightIsNamedAndConfirmedInFourRounds() {
        ClusterModel model = new ClusterModel(8, 10e9, 1).slowNode("node-6", 0.3);
        Bisection.Conclusion outcome = isolate(model);
        assertEquals("[node node-6]", culprits(outcome));
        Bisection.Culprit culprit = outcome.culprits().get(0);
        assertFalse(culprit.intermittent());
        // halves, quarters, node-6 with a healthy partner, then with another healthy one
        assertEquals(4, outcome.rounds().size(), outcome.rounds().toString());
        assertTrue(outcome.complete());
        assertTrue(culprit.evidence().contains("round 4: node-6+"), culprit.evidence());
        // the groups of a round run at once: both halves in round 1
        assertEquals(2, outcome.rounds().get(0).groups().size());
    }

    @Test
    void aNodeJustAboveTheSlowThresholdIsNotNamedAndOneJustBelowIs() {
        // 0.2 slow fraction: a group counts as slow below 80% of the best rate measured
        Bisection.Conclusion above = isolate(new ClusterModel(8, 10e9, 1).slowNode("node-2", 0.81));
        assertTrue(above.culprits().stream().noneMatch(c -> c.kind() == Bisection.Kind.NODE), culprits(above));
        assertEquals("[node node-2]", culprits(isolate(new ClusterModel(8, 10e9, 1).slowNode("node-2", 0.79))));
    }

    @Test
    void aBrokenNodeIsNamed() {
        for (int bad = 1; bad <= 7; bad++) {
            ClusterModel model = new ClusterModel(7, 10e9, 1).brokenNode(ClusterModel.name(bad));
            Bisection.Conclusion outcome = isolate(model);
            assertEquals("[node node-" + bad + "]", culprits(outcome));
            assertTrue(outcome.rounds().size() <= Bisection.roundBound(7), outcome.rounds().toString());
        }
    }

    @Test
    void aSlowLinkBetweenTwoHealthyNodesInDifferentHalvesIsFoundByTheCrossBoundaryStage() {
        ClusterModel model = new ClusterModel(8, 10e9, 1).slowLink("node-4", "node-5", 0.02);
        Bisection.Conclusion outcome = isolate(model);
        assertEquals("[link node-4~node-5]", culprits(outcome));
        assertTrue(outcome.rounds().size() <= Bisection.roundBound(8), outcome.rounds().size() + " rounds");
        // round 1: both halves healthy on their own
        assertTrue(outcome.rounds().get(0).groups().stream().noneMatch(Bisection.Measured::bad));
        assertTrue(outcome.culprits().get(0).evidence().contains("cross") || outcome.rounds().stream()
                .anyMatch(r -> r.groups().stream().anyMatch(g -> g.group().purpose().startsWith("cross-boundary"))));
    }

    @Test
    void everyLinkAmongEightIsFoundWithinTheBound() {
        for (int a = 1; a <= 8; a++) {
            for (int b = a + 1; b <= 8; b++) {
                ClusterModel model = new ClusterModel(8, 10e9, 1).slowLink(ClusterModel.name(a), ClusterModel.name(b), 0.02);
                Bisection.Conclusion outcome = isolate(model);
                assertEquals("[link node-" + a + "~node-" + b + "]", culprits(outcome), outcome.rounds().toString());
                assertTrue(outcome.rounds().size() <= Bisection.roundBound(8), a + "~" + b + ": " + outcome.rounds().size());
            }
        }
    }

    @Test
    void everyNodeAmongAThousandIsFoundWithinTheBound() {
        for (int bad = 1; bad <= 1000; bad += 37) {
            ClusterModel model = new ClusterModel(1000, 50e9, 1).slowNode(ClusterModel.name(bad), 0.5);
            Bisection.Conclusion outcome = isolate(model);
            assertEquals("[node node-" + bad + "]", culprits(outcome));
            assertTrue(outcome.rounds().size() <= Bisection.roundBound(1000), outcome.rounds().size() + " rounds");
        }
    }

    @Test
    void anIntermittentNodeIsNamedAsIntermittentOrAsTheNode() {
        // fails half its collectives; seeded so the run repeats
        ClusterModel model = new ClusterModel(8, 10e9, 7).intermittentNode("node-3", 0.5);
        Bisection.Conclusion outcome = isolate(model);
        assertFalse(outcome.culprits().isEmpty(), outcome.rounds().toString());
        assertTrue(outcome.culprits().stream().allMatch(c -> c.nodes().contains("node-3")), culprits(outcome));
    }

    @Test
    void aTriggerThatNoProbeReproducesNamesNobody() {
        // healthy: both halves pass, the cross-boundary diagonals pass, nothing was ever bad
        ClusterModel model = new ClusterModel(8, 10e9, 1);
        Bisection.Conclusion outcome = isolate(model);
        assertTrue(outcome.culprits().isEmpty(), culprits(outcome));
        assertEquals(3, outcome.rounds().size(), outcome.rounds().toString());
    }

    @Test
    void twoNodesWithNoHealthyNodeToCompareAreNamedTogether() {
        ClusterModel model = new ClusterModel(2, 10e9, 1).brokenNode("node-1");
        Bisection.Conclusion outcome = isolate(model);
        assertEquals(Bisection.Kind.GROUP, outcome.culprits().get(0).kind());
        assertEquals(List.of("node-1", "node-2"), outcome.culprits().get(0).nodes());
        assertEquals(0, outcome.rounds().size());
    }

    @Test
    void aKnownHealthyNodeSeparatesTwoSuspects() {
        ClusterModel model = new ClusterModel(3, 10e9, 1).brokenNode("node-2");
        Bisection.Conclusion outcome = new Bisection(List.of("node-1", "node-2"), List.of("node-3"), SLOW, 10).run(model);
        assertEquals("[node node-2]", culprits(outcome));
    }

    @Test
    void theRoundLimitEndsAnIncompleteIsolation() {
        ClusterModel model = new ClusterModel(64, 10e9, 1).brokenNode("node-17");
        Bisection.Conclusion outcome = new Bisection(model.nodes(), List.of(), SLOW, 2).run(model);
        assertEquals(2, outcome.rounds().size());
        assertFalse(outcome.complete());
        assertTrue(outcome.culprits().isEmpty());
    }

    @Test
    void theBoundIsTwiceLog2PlusTwo() {
        assertEquals(8, Bisection.roundBound(8));
        assertEquals(22, Bisection.roundBound(1000));
        assertEquals(26, Bisection.roundBound(4096));
    }

    @Test
    void aSlowFractionOutsideZeroToOneIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Bisection(List.of("a", "b"), List.of(), 1.0, 3));
        assertEquals("slowFraction 1.0: expected above 0 and below 1", e.getMessage());
    }
}
