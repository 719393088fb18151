package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.Measurements.Culprit;
import dev.preflight.proto.v1.Measurements.FaultIsolation;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The fault_isolation phase on the phases' real plans and runner logic, with communicators answered by a fake. */
class FaultIsolationPhaseTest {
    private final List<String> lines = new ArrayList<>();

    private BenchContext context(FakeBench bench) {
        return FakeBench.context(FakeBench.settings(BenchProfile.QUICK), FakeBench.nodes(2, 2, 2, 2, 2, 2, 2, 2), bench::run,
                lines::add);
    }

    /**
     * Rates as a fabric of 10 GB/s per node gives them: a probe's algorithm bandwidth is what makes
     * each node send 10 GB/s to the others; other communicators run at 40 GB/s bus bandwidth.
     */
    private static ToDoubleFunction<Communicator> fabric(ToDoubleFunction<Communicator> factor) {
        return comm -> {
            double f = factor.applyAsDouble(comm);
            if (!comm.phase().equals(FaultIsolationPhase.NAME)) {
                return 40 * f;
            }
            int n = comm.members().size();
            return 10 * f / (2.0 * (n - 1) / n);
        };
    }

    private static FaultIsolation section(BenchContext ctx) {
        return ctx.results().measurements(Measurements.newBuilder()).build().getFaultIsolation();
    }

    @Test
    void aHealthyClusterIsNotBisectedAndNobodyIsNamed() {
        FakeBench bench = new FakeBench(fabric(comm -> 1));
        try (BenchContext ctx = context(bench)) {
            AllNodesPhase.run(ctx);
            RailsPhase.run(ctx);
            int before = bench.ran.size();
            FaultIsolationPhase.run(ctx, Set.of());
            assertEquals(before, bench.ran.size(), "no probe ran");
            assertTrue(lines.contains("fault_isolation: no all-node or rail collective failed or ran slow: nothing to isolate"),
                    lines.toString());
            assertTrue(section(ctx).getCulpritsList().isEmpty());
            assertTrue(ctx.results().nodeChecks().values().stream().flatMap(List::stream)
                    .noneMatch(c -> c.getId().equals(FaultIsolationPhase.CHECK_ID)));
        }
    }

    @Test
    void aNodeThatHangsEveryCollectiveIsNamedWithinTheBound() {
        FakeBench bench = new FakeBench(fabric(comm -> 1), (comm, attempt) -> FakeBench.involves(comm, "node-6")
                ? CollectiveResult.Outcome.TIMEOUT : CollectiveResult.Outcome.OK);
        try (BenchContext ctx = context(bench)) {
            AllNodesPhase.run(ctx);
            FaultIsolationPhase.run(ctx, Set.of());
            FaultIsolation section = section(ctx);
            assertEquals(1, section.getCulpritsCount(), section.toString());
            Culprit culprit = section.getCulprits(0);
            assertEquals(Culprit.Kind.NODE, culprit.getKind());
            assertEquals(List.of("node-6"), culprit.getNodesList());
            assertTrue(culprit.getFailed());
            assertEquals(-1, section.getRail());
            assertTrue(section.getRoundsCount() <= 8, section.getRoundsCount() + " rounds");
            assertEquals(8, section.getRoundBound());
            // confirmed in three rounds, each judged at the policy's 10% below the round's best at least
            assertEquals(3, section.getConfirmations());
            assertTrue(section.getCulprits(0).getEvidence().contains("reproduced in 3 of 3 confirmation round(s)"),
                    section.getCulprits(0).getEvidence());
            assertTrue(section.getUnconfirmedList().isEmpty());
            assertTrue(section.getRoundsList().stream().allMatch(r -> r.getSlowBelow() > 0 && r.getSlowBelow() <= 0.9));
            assertTrue(section.getTriggers(0).startsWith("all_nodes all 8 nodes (16 ranks): all_reduce TIMEOUT"),
                    section.getTriggers(0));
            // the two halves of round 1 ran at once, as all-to-all over every GPU of their nodes
            assertEquals(2, section.getRounds(0).getGroupsCount());
            Communicator firstProbe = bench.ran.stream().filter(c -> c.phase().equals(FaultIsolationPhase.NAME))
                    .findFirst().orElseThrow();
            assertEquals(8, firstProbe.layout().nranks());
            assertEquals("ALLTOALL", firstProbe.spec().getOps(0).name());
            CheckResult check = ctx.results().nodeChecks().get("node-6").stream()
                    .filter(c -> c.getId().equals(FaultIsolationPhase.CHECK_ID)).findFirst().orElseThrow();
            assertEquals(CheckResult.Status.FAIL, check.getStatus());
            assertTrue(check.getSummary().startsWith("node node-6 named by fault isolation in "), check.getSummary());
            for (String other : List.of("node-1", "node-2", "node-3", "node-4", "node-5", "node-7", "node-8")) {
                assertTrue(ctx.results().nodeChecks().getOrDefault(other, List.of()).stream()
                        .noneMatch(c -> c.getId().equals(FaultIsolationPhase.CHECK_ID)), other);
            }
        }
    }

    @Test
    void aNodeWhoseFaultDoesNotReproduceInItsConfirmationRoundsIsReportedUnconfirmedAndNotNamed() {
        // node-6 hangs the all-node collectives and its first three probes (half, quarter, with a
        // healthy partner), then passes every confirmation
        AtomicInteger probes = new AtomicInteger();
        FakeBench bench = new FakeBench(fabric(comm -> 1), (comm, attempt) -> {
            if (!FakeBench.involves(comm, "node-6")) {
                return CollectiveResult.Outcome.OK;
            }
            boolean probe = comm.phase().equals(FaultIsolationPhase.NAME);
            return !probe || probes.incrementAndGet() <= 3 ? CollectiveResult.Outcome.TIMEOUT
                    : CollectiveResult.Outcome.OK;
        });
        try (BenchContext ctx = context(bench)) {
            AllNodesPhase.run(ctx);
            FaultIsolationPhase.run(ctx, Set.of());
            FaultIsolation section = section(ctx);
            assertTrue(section.getCulpritsList().isEmpty(), section.toString());
            assertEquals(1, section.getUnconfirmedCount(), section.toString());
            Culprit unconfirmed = section.getUnconfirmed(0);
            assertEquals(Culprit.Kind.NODE, unconfirmed.getKind());
            assertEquals(List.of("node-6"), unconfirmed.getNodesList());
            assertTrue(unconfirmed.getFailed(), "its bisection probes hung");
            assertTrue(unconfirmed.getEvidence().endsWith("reproduced in 0 of 3 confirmation round(s) with healthy "
                    + "nodes: not confirmed"), unconfirmed.getEvidence());
            assertTrue(ctx.results().nodeChecks().getOrDefault("node-6", List.of()).stream()
                    .noneMatch(c -> c.getId().equals(FaultIsolationPhase.CHECK_ID)), "not named");
            assertTrue(lines.contains("fault_isolation: not named, the fault did not show again when measured with "
                    + "healthy nodes: node node-6"), lines.toString());
        }
    }

    @Test
    void aSlowLinkBetweenRingNeighboursIsNamedAsALinkFromTheRailPairs() {
        // the link node-4~node-5 at 2% of line rate: slow wherever both ends are in one communicator
        FakeBench bench = new FakeBench(fabric(comm -> {
            boolean both = FakeBench.involves(comm, "node-4") && FakeBench.involves(comm, "node-5");
            return both ? Math.min(1, 0.02 * (comm.members().size() - 1)) : 1;
        }));
        try (BenchContext ctx = context(bench)) {
            Set<String> railSuspects = RailsPhase.run(ctx);
            assertTrue(railSuspects.isEmpty(), "each end has a healthy partner on the ring: no node is a rail outlier");
            FaultIsolationPhase.run(ctx, railSuspects);
            FaultIsolation section = section(ctx);
            assertEquals(1, section.getCulpritsCount(), section.toString());
            assertEquals(Culprit.Kind.LINK, section.getCulprits(0).getKind());
            assertEquals(List.of("node-4", "node-5"), section.getCulprits(0).getNodesList());
            assertFalse(section.getCulprits(0).getFailed());
            assertTrue(section.getRoundsCount() <= 8, section.getRoundsCount() + " rounds");
            assertTrue(section.getTriggersList().stream().anyMatch(t -> t.startsWith("rail 0 node-4~node-5 ran at")),
                    section.getTriggersList().toString());
            CheckResult check = ctx.results().clusterChecks().stream()
                    .filter(c -> c.getId().equals(FaultIsolationPhase.CHECK_ID)).findFirst().orElseThrow();
            assertEquals(CheckResult.Status.WARN, check.getStatus());
            assertEquals("link node-4~node-5", check.getSubject());
        }
    }

    @Test
    void aFaultOnOneRailIsBisectedOnThatRailAlone() {
        FakeBench bench = new FakeBench(fabric(comm -> 1), (comm, attempt) -> comm.rail() == 1
                && FakeBench.involves(comm, "node-2") ? CollectiveResult.Outcome.ERROR : CollectiveResult.Outcome.OK);
        try (BenchContext ctx = context(bench)) {
            Set<String> railSuspects = RailsPhase.run(ctx);
            FaultIsolationPhase.run(ctx, railSuspects);
            FaultIsolation section = section(ctx);
            assertEquals(1, section.getRail(), section.getTriggersList().toString());
            assertEquals("[node-2]", section.getCulpritsList().stream().flatMap(c -> c.getNodesList().stream()).toList()
                    .toString());
            assertTrue(bench.ran.stream().filter(c -> c.phase().equals(FaultIsolationPhase.NAME))
                    .allMatch(c -> c.rail() == 1 && c.members().stream().allMatch(m -> m.gpus().equals(List.of(1)))));
        }
    }
}
