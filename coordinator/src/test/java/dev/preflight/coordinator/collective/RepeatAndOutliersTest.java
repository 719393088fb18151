package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.hostnet.PairSchedule;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.Measurements.Sweep;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A failing or low measurement is repeated once before it is called; the node behind slow communicators is named. */
class RepeatAndOutliersTest {
    private final List<String> lines = new ArrayList<>();

    private BenchContext context(List<BenchNode> nodes, FakeBench bench, BenchProfile profile) {
        return FakeBench.context(FakeBench.settings(profile), nodes, bench::run, lines::add);
    }

    @Test
    void aHangThatPassesOnItsRepeatIsAFlakyWarningQuotingBothOutcomes() {
        FakeBench bench = hangingOnce();
        try (BenchContext ctx = context(FakeBench.nodes(2, 2, 2), bench, BenchProfile.QUICK)) {
            AllNodesPhase.run(ctx);
            assertEquals(2, bench.ran.size());
            assertEquals(2, bench.ran.get(1).attempt());
            List<CheckResult> checks = ctx.results().clusterChecks();
            assertEquals(1, checks.size(), checks.toString());
            assertEquals(CheckResult.Status.WARN, checks.get(0).getStatus());
            assertTrue(checks.get(0).getSummary().startsWith("flaky: ") && checks.get(0).getSummary()
                    .contains("failed on its first attempt (all_reduce TIMEOUT in ncclAllReduce"), checks.get(0).getSummary());
            assertEquals("attempt 1: timeout; attempt 2: ok", checks.get(0).getObserved());
            Measurements m = ctx.results().measurements(Measurements.newBuilder()).build();
            assertEquals(Sweep.Kind.ALL_NODES, m.getSeries(0).getKind());
            assertEquals(2, ctx.results().collectives().size(), "both attempts stay in the raw results");
        }
    }

    @Test
    void aHangWhoseRepeatTakesLongerThanTheFirstDeadlineIsSlowNotFlaky() {
        // a link shaped far below the nominal rates: the first deadline, from those rates, is too
        // short; the repeat completes, but only in more time than that deadline
        FakeBench bench = hangingOnce()
                .taking((comm, attempt) -> attempt == 1 ? deadlineOf(comm) : deadlineOf(comm).plusSeconds(17));
        try (BenchContext ctx = context(FakeBench.nodes(2, 2, 2), bench, BenchProfile.QUICK)) {
            AllNodesPhase.run(ctx);
            List<CheckResult> checks = ctx.results().clusterChecks();
            assertEquals(1, checks.size(), checks.toString());
            CheckResult check = checks.get(0);
            assertEquals(CheckResult.Status.WARN, check.getStatus());
            String first = Estimate.format(deadlineOf(bench.ran.get(0)));
            assertTrue(check.getSummary().startsWith("slow, not flaky: all 3 nodes (6 ranks) ran past its deadline of "
                    + first + " on its first attempt (all_reduce TIMEOUT"), check.getSummary());
            assertEquals("attempt 1: timeout at " + first + "; attempt 2: ok in "
                    + Estimate.format(deadlineOf(bench.ran.get(1)).plusSeconds(17)), check.getObserved());
        }
    }

    @Test
    void aHangWhoseRepeatCompletesWithinTheFirstDeadlineIsFlaky() {
        FakeBench bench = hangingOnce()
                .taking((comm, attempt) -> attempt == 1 ? deadlineOf(comm) : deadlineOf(comm).minusSeconds(1));
        try (BenchContext ctx = context(FakeBench.nodes(2, 2, 2), bench, BenchProfile.QUICK)) {
            AllNodesPhase.run(ctx);
            CheckResult check = ctx.results().clusterChecks().get(0);
            assertTrue(check.getSummary().startsWith("flaky: "), check.getSummary());
        }
    }

    /** Every communicator hangs on its first attempt and passes on its repeat. */
    private static FakeBench hangingOnce() {
        return new FakeBench(comm -> 40, (comm, attempt) -> attempt == 1
                ? CollectiveResult.Outcome.TIMEOUT : CollectiveResult.Outcome.OK);
    }

    private static java.time.Duration deadlineOf(Communicator comm) {
        return java.time.Duration.ofSeconds(comm.spec().getTimeout().getSeconds());
    }

    @Test
    void aCollectiveThatFailsTwiceFails() {
        FakeBench bench = new FakeBench(comm -> 40, (comm, attempt) -> CollectiveResult.Outcome.TIMEOUT);
        try (BenchContext ctx = context(FakeBench.nodes(2, 2), bench, BenchProfile.QUICK)) {
            AllNodesPhase.run(ctx);
            assertEquals(2, bench.ran.size(), "repeated once, not more");
            CheckResult check = ctx.results().clusterChecks().get(0);
            assertEquals(CheckResult.Status.FAIL, check.getStatus());
            assertTrue(check.getSummary().endsWith("(also on its repeat)"), check.getSummary());
            assertEquals("all_nodes all 2 nodes (4 ranks)", check.getSubject());
            assertTrue(ctx.results().measurements(Measurements.newBuilder()).getSeriesList().isEmpty());
        }
    }

    @Test
    void aNodeLostInOneRailIsLeftOutOfTheLaterRoundsWhichRunOnTheOthers() {
        FakeBench bench = new FakeBench(comm -> 10).losing("node-2", "rail 0 (3 nodes)");
        try (BenchContext ctx = context(FakeBench.nodes(2, 2, 2), bench, BenchProfile.QUICK)) {
            RailsPhase.run(ctx);
            assertEquals(Map.of("node-2", "lost during rail 0 (3 nodes)"), ctx.results().lost());
            List<String> ran = bench.ran.stream().map(Communicator::label).toList();
            assertEquals(Set.of("rail 0 (3 nodes)", "rail 1 (3 nodes)"), Set.copyOf(ran.subList(0, 2)),
                    "the rails run together");
            // the two rails of a round start at once, in either order
            assertEquals(2, ran.size() - 2, "not repeated: its node is gone");
            assertEquals(Set.of("rail 0 node-1~node-3", "rail 1 node-1~node-3"), Set.copyOf(ran.subList(2, ran.size())),
                    "not repeated: its node is gone");
            CheckResult check = ctx.results().clusterChecks().get(0);
            assertEquals(CheckResult.Status.ERROR, check.getStatus(), "a lost node makes it incomplete, not failed");
            assertTrue(check.getSummary().endsWith("(node node-2 lost)"), check.getSummary());
            assertTrue(lines.contains("rails: rail 0 node-1~node-2 left out: node-2 lost"), lines.toString());
        }
    }

    @Test
    void railsNameTheNodeWhosePairsAreAllSlowOnEveryRail() {
        // node-3's links run at a twentieth of the others'
        FakeBench bench = new FakeBench(comm -> FakeBench.involves(comm, "node-3") ? 0.5 : 10);
        try (BenchContext ctx = context(FakeBench.nodes(2, 2, 2, 2), bench, BenchProfile.QUICK)) {
            Set<String> named = RailsPhase.run(ctx);
            assertEquals(Set.of("node-3"), named);
            Map<String, List<CheckResult>> checks = ctx.results().nodeChecks();
            assertEquals(Set.of("node-3"), checks.keySet(), checks.toString());
            List<String> subjects = new ArrayList<>();
            for (CheckResult check : checks.get("node-3")) {
                assertEquals(RailsPhase.CHECK_ID, check.getId());
                assertEquals(CheckResult.Status.WARN, check.getStatus());
                subjects.add(check.getSubject());
            }
            assertEquals(List.of("rail 0", "rail 1"), subjects);
            // 2 rails across all nodes, 2 x 4 ring pairs, then node-3's 2 x 2 low pairs once more
            assertEquals(2 + 8 + 4, bench.ran.size());
            long repeats = bench.ran.stream().filter(c -> c.attempt() == 2).count();
            assertEquals(4, repeats);
        }
    }

    @Test
    void pairwiseNamesTheSlowNodeAmongAllPairs() {
        FakeBench bench = new FakeBench(comm -> FakeBench.involves(comm, "node-4") ? 1 : 20);
        try (BenchContext ctx = context(FakeBench.nodes(2, 2, 2, 2, 2, 2), bench, BenchProfile.QUICK)) {
            PairwisePhase.run(ctx, Set.of());
            Measurements m = ctx.results().measurements(Measurements.newBuilder()).build();
            assertEquals(15, m.getPairwise().getPairsCount());
            assertEquals(6, m.getPairwise().getNodesCount());
            assertEquals(Set.of("node-4"), ctx.results().nodeChecks().keySet());
            // all 15 pairs in 5 rounds, then node-4's 5 slow pairs once more
            assertEquals(15 + 5, bench.ran.size());
            CheckResult check = ctx.results().nodeChecks().get("node-4").get(0);
            assertEquals(PairwisePhase.CHECK_ID, check.getId());
            assertTrue(check.getSummary().startsWith("node-4: send/recv with the other nodes measured 1.0 GB/s, an outlier against the median 20.0 GB/s of 6 nodes"),
                    check.getSummary());
        }
    }

    @Test
    void aboveThirtyTwoNodesOnlyRingNeighboursAndTheSuspectsAreMeasured() {
        FakeBench bench = new FakeBench(comm -> FakeBench.involves(comm, "node-17") ? 1 : 20);
        List<BenchNode> nodes = FakeBench.nodes(new int[40]);
        List<BenchNode> withGpus = new ArrayList<>();
        for (BenchNode node : nodes) {
            withGpus.add(new BenchNode(node.index(), node.name(), node.target(), List.of(0, 1), "", 0));
        }
        try (BenchContext ctx = context(withGpus, bench, BenchProfile.QUICK)) {
            PairwisePhase.run(ctx, Set.of());
            assertEquals(Set.of("node-17"), ctx.results().nodeChecks().keySet());
            Set<String> pairs = new HashSet<>();
            for (Communicator comm : bench.ran) {
                pairs.add(comm.label());
            }
            // 40 ring pairs, node-17 against 3 references, and node-17's slow pairs repeated
            assertEquals(40 + PairwisePhase.REFERENCES, pairs.size());
            assertTrue(bench.ran.size() < 40 * 39 / 2 / 10, bench.ran.size() + " communicators");
        }
        assertTrue(40 > PairSchedule.ALL_PAIRS_UP_TO);
    }

    @Test
    void twoNodeRingsRunWithNcclAlgoRingAndTheSeriesSaysSo() {
        FakeBench two = new FakeBench(comm -> 40);
        try (BenchContext ctx = context(FakeBench.nodes(2, 2), two, BenchProfile.QUICK)) {
            AllNodesPhase.run(ctx);
            assertEquals("RING", ctx.results().measurements(Measurements.newBuilder()).getSeries(0).getNcclAlgo());
        }
        FakeBench three = new FakeBench(comm -> 40);
        try (BenchContext ctx = context(FakeBench.nodes(2, 2, 2), three, BenchProfile.QUICK)) {
            AllNodesPhase.run(ctx);
            assertEquals("", ctx.results().measurements(Measurements.newBuilder()).getSeries(0).getNcclAlgo(),
                    "NCCL chooses on three nodes");
        }
    }

    @Test
    void wrongDataOnTheFirstAttemptFailsWhateverTheRepeatShows() {
        FakeBench bench = new FakeBench(comm -> 40, (comm, attempt) -> attempt == 1
                ? CollectiveResult.Outcome.WRONG_RESULTS : CollectiveResult.Outcome.OK);
        try (BenchContext ctx = context(FakeBench.nodes(2, 2, 2), bench, BenchProfile.QUICK)) {
            AllNodesPhase.run(ctx);
            List<CheckResult> checks = ctx.results().clusterChecks();
            assertEquals(1, checks.size(), checks.toString());
            assertEquals(CheckResult.Status.FAIL, checks.get(0).getStatus());
            assertTrue(checks.get(0).getSummary().contains("returned wrong data on its first attempt")
                    && checks.get(0).getSummary().contains("its repeat passed"), checks.get(0).getSummary());
            assertEquals("attempt 1: wrong_results; attempt 2: ok", checks.get(0).getObserved());
        }
    }

    @Test
    void theRepeatOfALowIntraNodeMeasurementIsKeptBesideItAndTheWorseIsJudged() {
        FakeBench bench = new FakeBench(comm -> FakeBench.involves(comm, "node-2") && comm.attempt() == 1 ? 50 : 400);
        try (BenchContext ctx = context(FakeBench.nodes(8, 8, 8, 8), bench, BenchProfile.QUICK)) {
            IntraNodePhase.run(ctx);
            assertEquals(5, bench.ran.size());
            List<Sweep> series = ctx.results().measurements(Measurements.newBuilder()).getSeriesList();
            assertEquals(5, series.size(), "node-2's two attempts and the other three nodes'");
            List<Sweep> node2 = series.stream().filter(s -> s.getNodes(0).equals("node-2")).toList();
            assertEquals(List.of(50e9, 400e9), node2.stream().map(s -> s.getPoints(0).getBusbwBytesPerSecond()).sorted().toList());
            assertEquals(List.of(1, 2), node2.stream().map(Sweep::getAttempt).sorted().toList());
        }
    }
}
