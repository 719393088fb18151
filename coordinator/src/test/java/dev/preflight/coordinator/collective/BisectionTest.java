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
    void aSlowNodeAmongEightIsNamedAndConfirmedInSixRounds() {
        ClusterModel model = new ClusterModel(8, 10e9, 1).slowNode("node-6", 0.3);
        Bisection.Conclusion outcome = isolate(model);
        assertEquals("[node node-6]", culprits(outcome));
        Bisection.Culprit culprit = outcome.culprits().get(0);
        assertFalse(culprit.intermittent());
        // halves, quarters, node-6 with a healthy partner, then three confirmations with other healthy ones
        assertEquals(6, outcome.rounds().size(), outcome.rounds().toString());
        assertTrue(culprit.evidence().endsWith("reproduced in 3 of 3 confirmation round(s) with healthy nodes"),
                culprit.evidence());
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
    void everyNodeAndEveryLinkAmongOddAndEvenSizesIsFoundWithinTheBoundConfirmationIncluded() {
        for (int n : new int[] {5, 7, 12, 16}) {
            for (int a = 1; a <= n; a++) {
                Bisection.Conclusion node = isolate(new ClusterModel(n, 10e9, 1).slowNode(ClusterModel.name(a), 0.5));
                assertEquals("[node node-" + a + "]", culprits(node), n + " nodes");
                assertTrue(node.rounds().size() <= Bisection.roundBound(n), n + ": " + node.rounds().size());
                for (int b = a + 1; b <= n; b++) {
                    Bisection.Conclusion link = isolate(new ClusterModel(n, 10e9, 1)
                            .slowLink(ClusterModel.name(a), ClusterModel.name(b), 0));
                    assertEquals("[link node-" + a + "~node-" + b + "]", culprits(link), n + " nodes");
                    assertTrue(link.rounds().size() <= Bisection.roundBound(n), n + ", " + a + "~" + b + ": "
                            + link.rounds().size());
                }
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

    /** Over seeds 1-100, how often each outcome: [node named intermittent, anything naming someone else]. */
    private static int[] intermittentOutcomes(int n, String bad, double slow, double jitter) {
        int[] outcomes = new int[2];
        for (int seed = 1; seed <= 100; seed++) {
            ClusterModel model = new ClusterModel(n, 10e9, seed).jitter(jitter).intermittentNode(bad, 0.5);
            Bisection.Conclusion outcome = new Bisection(model.nodes(), List.of(), slow, Bisection.DEFAULT_NOISE_SIGMAS,
                    Bisection.roundLimit(n)).run(model);
            if (culprits(outcome).equals("[node " + bad + "]") && outcome.culprits().get(0).intermittent()) {
                outcomes[0]++;
            }
            if (outcome.culprits().stream().anyMatch(c -> !c.nodes().contains(bad))) {
                outcomes[1]++;
            }
        }
        return outcomes;
    }

    @Test
    void anIntermittentNodeIsNamedAsItselfAndIntermittentInNearlyEverySeed() {
        // fails half the collectives it is in; 100 seeded runs of 64 nodes (the model names it in 93):
        // a pass it gets by luck neither clears it nor ends the search
        int[] outcomes = intermittentOutcomes(64, "node-35", SLOW, 0);
        assertTrue(outcomes[0] >= 85, outcomes[0] + " of 100 named node-35 as an intermittent node");
        assertEquals(0, outcomes[1], "runs naming a node or link without node-35");
    }

    @Test
    void anIntermittentNodeIsNamedThroughLoadNoiseWhereTheSameNoiseOnAHealthyClusterNamesNobody() {
        // 5% log-normal jitter on every group, the policy's 10% slow fraction (the model names it in 79)
        int[] outcomes = intermittentOutcomes(64, "node-35", POLICY_SLOW, 0.05);
        assertTrue(outcomes[0] >= 70, outcomes[0] + " of 100 named node-35 as an intermittent node");
        assertEquals(0, outcomes[1], "runs naming a node or link without node-35");
        for (int seed = 1; seed <= 100; seed++) {
            ClusterModel healthy = new ClusterModel(64, 10e9, seed).jitter(0.05);
            Bisection.Conclusion outcome = new Bisection(healthy.nodes(), List.of(), POLICY_SLOW,
                    Bisection.DEFAULT_NOISE_SIGMAS, Bisection.roundLimit(64)).run(healthy);
            assertTrue(outcome.culprits().isEmpty(), "seed " + seed + ": " + culprits(outcome));
        }
    }

    @Test
    void loadNoiseOnSmallHealthyClustersNamesNobody() {
        // 5% jitter and the policy's 10% slow fraction on 4 and 8 nodes, where few groups measured
        // side by side leave the noise floor unknown: a link just past the slow line in one
        // confirmation round of three was named intermittent in 5 and 3 seeds of 100
        for (int n : new int[] {4, 8}) {
            for (int seed = 1; seed <= 100; seed++) {
                ClusterModel healthy = new ClusterModel(n, 10e9, seed).jitter(0.05);
                Bisection.Conclusion outcome = new Bisection(healthy.nodes(), List.of(), POLICY_SLOW,
                        Bisection.DEFAULT_NOISE_SIGMAS, Bisection.roundLimit(n)).run(healthy);
                assertEquals(List.of(), outcome.culprits(), n + " nodes, seed " + seed);
            }
        }
    }

    /** Over seeds 1-100 of 16 nodes with 5% jitter, node-11 slow half the time: [named as itself and intermittent, naming another]. */
    private static int[] intermittentlySlowOutcomes(double slowFraction, double factor) {
        int[] outcomes = new int[2];
        for (int seed = 1; seed <= 100; seed++) {
            ClusterModel model = new ClusterModel(16, 10e9, seed).jitter(0.05).intermittentlySlowNode("node-11", 0.5, factor);
            Bisection.Conclusion outcome = new Bisection(model.nodes(), List.of(), slowFraction,
                    Bisection.DEFAULT_NOISE_SIGMAS, Bisection.roundLimit(16)).run(model);
            if (culprits(outcome).equals("[node node-11]") && outcome.culprits().get(0).intermittent()) {
                outcomes[0]++;
            }
            if (outcome.culprits().stream().anyMatch(c -> !c.nodes().contains("node-11"))) {
                outcomes[1]++;
            }
        }
        return outcomes;
    }

    @Test
    void aNodeSlowNowAndThenIsNamedIntermittentUnderAnySlowFraction() {
        // at half its rate half the time, under the policy's 10%; at a tenth, under a policy whose
        // slow line is 40% of the best, where a slowdown beyond doubt is below half that line
        // (the model names it in 73 and 87; with the slow fraction twice over alone, which leaves
        // nothing below a 40% line, the second was named intermittent in 1 of 100)
        int[] policy = intermittentlySlowOutcomes(POLICY_SLOW, 0.5);
        assertTrue(policy[0] >= 65, policy[0] + " of 100 named node-11 as an intermittent node");
        assertEquals(0, policy[1], "runs naming a node or link without node-11");
        int[] wide = intermittentlySlowOutcomes(0.6, 0.1);
        assertTrue(wide[0] >= 75, wide[0] + " of 100 named node-11 as an intermittent node");
        assertEquals(0, wide[1], "runs naming a node or link without node-11");
    }

    @Test
    void aSuspectJustPastTheSlowLineInOneConfirmationRoundIsLeftUnconfirmed() {
        // seed 11 of a healthy 4-node cluster with 5% jitter: node-3~node-4 runs at 90% of its
        // round's best in one confirmation round of three, which load noise does
        ClusterModel healthy = new ClusterModel(4, 10e9, 11).jitter(0.05);
        Bisection.Conclusion outcome = new Bisection(healthy.nodes(), List.of(), POLICY_SLOW,
                Bisection.DEFAULT_NOISE_SIGMAS, Bisection.roundLimit(4)).run(healthy);
        assertEquals(List.of(), outcome.culprits());
        assertEquals("[link node-3~node-4]", names(outcome.unconfirmed()));
        assertTrue(outcome.unconfirmed().get(0).evidence().endsWith("only just past the slow line, as load noise "
                + "does now and then: not confirmed"), outcome.unconfirmed().get(0).evidence());
    }

    @Test
    void aTriggerThatNoProbeReproducesNamesNobody() {
        // healthy: both halves pass, the cross-boundary diagonals pass, nothing was ever bad; searched
        // three times over (a node failing now and then may pass a search), then given up
        ClusterModel model = new ClusterModel(8, 10e9, 1);
        Bisection.Conclusion outcome = isolate(model);
        assertTrue(outcome.culprits().isEmpty(), culprits(outcome));
        assertTrue(outcome.unconfirmed().isEmpty(), names(outcome.unconfirmed()));
        assertEquals(Bisection.QUIET_ROUNDS, outcome.rounds().size(), outcome.rounds().toString());
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

    private static String names(List<Bisection.Culprit> culprits) {
        return culprits.stream().map(Bisection.Culprit::name).toList().toString();
    }

    @Test
    void aFaultThatDoesNotReproduceInItsConfirmationRoundsIsReportedUnconfirmedNotNamed() {
        // node-6 fails the three bisection groups it is in (half, quarter, with a healthy partner), then passes
        ClusterModel model = new ClusterModel(8, 10e9, 1).failingFor("node-6", 3);
        Bisection.Conclusion outcome = isolate(model);
        assertTrue(outcome.culprits().isEmpty(), culprits(outcome));
        assertEquals("[node node-6]", names(outcome.unconfirmed()));
        assertTrue(outcome.unconfirmed().get(0).evidence().endsWith(
                "reproduced in 0 of 3 confirmation round(s) with healthy nodes: not confirmed"),
                outcome.unconfirmed().get(0).evidence());
        // the first confirmation passing, the link to the partner it was bad with was measured too
        assertTrue(outcome.rounds().stream().flatMap(r -> r.groups().stream())
                .anyMatch(g -> g.group().purpose().startsWith("confirm link node-6~")), outcome.rounds().toString());
    }

    @Test
    void aFaultThatReproducesInSomeConfirmationRoundsIsNamedIntermittent() {
        // fails the three bisection groups and the first confirmation, then passes
        ClusterModel model = new ClusterModel(8, 10e9, 1).failingFor("node-6", 4);
        Bisection.Conclusion outcome = isolate(model);
        assertEquals("[node node-6]", culprits(outcome));
        assertTrue(outcome.culprits().get(0).intermittent());
        assertTrue(outcome.culprits().get(0).evidence().endsWith(
                "reproduced in 1 of 3 confirmation round(s) with healthy nodes: intermittent"),
                outcome.culprits().get(0).evidence());
        assertTrue(outcome.unconfirmed().isEmpty());
    }

    @Test
    void aNodeThatPassesByLuckIsNotClearedAndOneThatPassedBeforeGetsMoreConfirmationRounds() {
        // node-6 passes its first group, fails its next two, passes three, fails one, passes two, fails one
        ClusterModel model = new ClusterModel(8, 10e9, 1).failingIn("node-6", 2, 3, 7, 10);
        Bisection.Conclusion outcome = isolate(model);
        // round 1: both halves pass, nobody cleared; the cross-boundary stage narrows to node-2~node-6
        assertTrue(outcome.rounds().get(0).groups().stream().noneMatch(Bisection.Measured::bad));
        // node-6 is never handed out as a healthy partner or a control pair
        for (Bisection.Round round : outcome.rounds()) {
            for (Bisection.Measured m : round.groups()) {
                String purpose = m.group().purpose();
                if (purpose.startsWith("control pair") || purpose.contains("with healthy")) {
                    assertFalse(m.group().nodes().subList(purpose.startsWith("control") ? 0 : 1,
                            m.group().nodes().size()).contains("node-6"), round.toString());
                }
            }
        }
        // the pair reproduced in none of its three confirmation rounds: three more, the fourth reproduces,
        // then its ends apart tell the node from the link
        assertEquals("[node node-6]", culprits(outcome), outcome.rounds().toString());
        Bisection.Culprit culprit = outcome.culprits().get(0);
        assertTrue(culprit.intermittent());
        assertTrue(culprit.evidence().contains("confirming 3 rounds more"), culprit.evidence());
        assertEquals("confirm link node-2~node-6 (6 of 6)", outcome.rounds().get(8).groups().get(0).group().purpose());
        assertTrue(culprit.evidence().endsWith("apart, node-2 reproduced in 0 and node-6 in 1 of 3 round(s) with healthy "
                + "nodes: the node, not the link, intermittent"), culprit.evidence());
        assertEquals(12, outcome.rounds().size(), outcome.rounds().toString());
    }

    @Test
    void aFaultThatNeverPassedARoundGetsOnlyThreeConfirmationRounds() {
        // failing its first three groups (half, quarter, with a partner) then passing: no round of its
        // search passed, so no more rounds than the three (and the link to its partner)
        Bisection.Conclusion outcome = isolate(new ClusterModel(8, 10e9, 1).failingFor("node-6", 3));
        assertTrue(outcome.rounds().stream().flatMap(r -> r.groups().stream())
                .noneMatch(g -> g.group().purpose().contains(" of 6)")), outcome.rounds().toString());
    }

    @Test
    void everyConfirmationRoundHasAHealthyControlPairBesideTheCulprit() {
        ClusterModel model = new ClusterModel(8, 10e9, 1).slowNode("node-6", 0.3);
        Bisection.Conclusion outcome = isolate(model);
        List<Bisection.Round> confirming = outcome.rounds().subList(3, 6);
        for (Bisection.Round round : confirming) {
            assertEquals(2, round.groups().size(), round.toString());
            Bisection.Measured culprit = round.groups().get(0);
            Bisection.Measured control = round.groups().get(1);
            assertTrue(culprit.group().purpose().startsWith("confirm node-6 with healthy"), round.toString());
            assertTrue(culprit.bad());
            assertTrue(control.group().purpose().startsWith("control pair"), round.toString());
            assertEquals(2, control.group().nodes().size());
            assertFalse(control.group().nodes().contains("node-6"));
            assertFalse(control.bad());
        }
        // a different healthy partner each round
        assertEquals(3, confirming.stream().map(r -> r.groups().get(0).group().nodes().get(1)).distinct().count());
    }

    @Test
    void aControlPairThatIsBadTooMeansTheRoundDoesNotReproduceTheFault() {
        // from its fourth group on, node-6 is healthy; every group of round 5 on is slow (a fabric-wide slowdown)
        ClusterModel healthy = new ClusterModel(8, 10e9, 1).failingFor("node-6", 4);
        Bisection.Probe probe = groups -> {
            List<Bisection.Result> results = healthy.round(groups);
            if (healthy.rounds().size() < 5) {
                return results;
            }
            // the culprit's group fails; the control pair fails too: nothing particular to node-6
            return results.stream().map(r -> Bisection.Result.failed("TIMEOUT")).toList();
        };
        Bisection.Conclusion outcome = new Bisection(healthy.nodes(), List.of(), SLOW, 100).run(probe);
        assertEquals("[node node-6]", culprits(outcome));
        assertTrue(outcome.culprits().get(0).intermittent(), "1 of 3: rounds 5 and 6 had a bad control pair");
        assertTrue(outcome.culprits().get(0).evidence().contains("the control pair was bad too"),
                outcome.culprits().get(0).evidence());
    }

    /** The outlier policy's own slow fraction: 10% below the round's best. */
    private static final double POLICY_SLOW = 0.1;

    @Test
    void loadNoiseOnAHealthyClusterNamesNobodyAndTheNoiseFloorKeepsTheSearchOffIt() {
        // 5% log-normal jitter on every group, 100 seeded runs of a healthy 16-node cluster
        // (the search chases noise down to suspects, more than twice as often without the floor;
        // their confirmation, just past the slow line in some rounds, keeps every one unnamed)
        int pointedAtWithFloor = 0;
        int pointedAtWithoutFloor = 0;
        for (int seed = 1; seed <= 100; seed++) {
            ClusterModel model = new ClusterModel(16, 10e9, seed).jitter(0.05);
            Bisection.Conclusion withFloor = new Bisection(model.nodes(), List.of(), POLICY_SLOW, 3.5, 100).run(model);
            assertEquals(List.of(), withFloor.culprits(), "seed " + seed);
            pointedAtWithFloor += withFloor.unconfirmed().size();
            ClusterModel same = new ClusterModel(16, 10e9, seed).jitter(0.05);
            Bisection.Conclusion withoutFloor = new Bisection(same.nodes(), List.of(), POLICY_SLOW, 1e-9, 100).run(same);
            assertEquals(List.of(), withoutFloor.culprits(), "seed " + seed);
            pointedAtWithoutFloor += withoutFloor.unconfirmed().size();
        }
        // 28 against 66 in these seeds
        assertTrue(pointedAtWithoutFloor > 2 * pointedAtWithFloor, pointedAtWithFloor + " suspects left unconfirmed "
                + "with the floor, " + pointedAtWithoutFloor + " without: the floor should keep the search off the noise");
    }

    @Test
    void aTwiceSlowerNodeIsNamedThroughTheSameNoise() {
        for (int seed = 1; seed <= 100; seed++) {
            ClusterModel model = new ClusterModel(16, 10e9, seed).jitter(0.05).slowNode("node-11", 0.5);
            Bisection.Conclusion outcome = new Bisection(model.nodes(), List.of(), POLICY_SLOW, 3.5, 100).run(model);
            assertEquals("[node node-11]", culprits(outcome), "seed " + seed);
            assertFalse(outcome.culprits().get(0).intermittent(), "seed " + seed);
        }
    }

    @Test
    void aTwiceSlowerLinkBetweenTwoSuspectsIsNamedThroughNoise() {
        // the rails flagged node-3~node-4; twelve nodes measured healthy elsewhere; 3% jitter
        for (int seed = 1; seed <= 100; seed++) {
            ClusterModel model = new ClusterModel(16, 10e9, seed).jitter(0.03).slowLink("node-3", "node-4", 0.5);
            Bisection.Conclusion outcome = new Bisection(List.of("node-3", "node-4"), model.nodes().subList(4, 16),
                    POLICY_SLOW, 3.5, 100).run(model);
            assertEquals("[link node-3~node-4]", culprits(outcome), "seed " + seed);
        }
    }

    @Test
    void theNoiseFloorWidensTheSlowThresholdOnlyAsFarAsTheHealthyGroupsSpread() {
        // no jitter: healthy groups measure alike, the slow fraction alone decides (below 90%)
        ClusterModel quiet = new ClusterModel(16, 10e9, 1).slowNode("node-11", 0.5);
        Bisection.Conclusion calm = new Bisection(quiet.nodes(), List.of(), POLICY_SLOW, 3.5, 100).run(quiet);
        assertTrue(calm.rounds().stream().allMatch(r -> r.slowBelow() == 0.9), calm.rounds().toString());
        // 10% jitter: once healthy groups were measured side by side, slow is further down than 90%
        ClusterModel noisy = new ClusterModel(16, 10e9, 3).jitter(0.1);
        Bisection.Conclusion loud = new Bisection(noisy.nodes(), List.of(), POLICY_SLOW, 3.5, 100).run(noisy);
        assertEquals(0.9, loud.rounds().get(0).slowBelow(), "no spread measured before the first round");
        assertTrue(loud.rounds().stream().anyMatch(r -> r.slowBelow() < 0.9), loud.rounds().toString());
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
        IllegalArgumentException noise = assertThrows(IllegalArgumentException.class,
                () -> new Bisection(List.of("a", "b"), List.of(), 0.2, 0, 3));
        assertEquals("noiseSigmas 0.0: expected above 0", noise.getMessage());
    }
}
