package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.BenchSpec;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Predictions and the deadlines derived from them. */
class EstimateTest {
    private static BenchSpec oneGib() {
        return BenchSpec.newBuilder().addOps(BenchSpec.Op.ALL_REDUCE).addDtypes(BenchSpec.DataType.BFLOAT16)
                .setMinBytes(ByteSizes.GIB).setMaxBytes(ByteSizes.GIB).setStepFactor(2).setIters(20).setWarmupIters(5)
                .build();
    }

    @Test
    void aSweepIsItsOpsAtTheNominalRateAndLatency() {
        // as the engine runs it: 5 warm-up + 2 x (1 untimed + 20 timed) + 2 validating ops of 1 GiB at busbw
        // factor 1 (two ranks), 49 x (60 us + 1 GiB / 10 GB/s), and 3 synchronising all-reduces at 60 us
        assertEquals(49 * (60e-6 + ByteSizes.GIB / 10e9) + 3 * 60e-6, Estimate.sweepSeconds(oneGib(), 2, true), 1e-9);
        assertEquals(52 * 30e-6, Estimate.sweepSeconds(oneGib(), 1, false), 1e-9, "one rank moves nothing");
    }

    @Test
    void deadlinesAreFiveTimesThePredictionBetweenTheFloorAndTheCap() {
        Duration cap = Duration.ofMinutes(2);
        assertEquals(Duration.ofSeconds(30), Estimate.timeout(oneGib(), 2, true, 10e9, cap), "5 x 5.3 s is under the floor");
        assertEquals(Duration.ofSeconds(264), Estimate.timeout(oneGib(), 2, true, 1e9, Duration.ofMinutes(10)));
        assertEquals(cap, Estimate.timeout(oneGib(), 2, true, 1e9, cap));
        assertEquals("4m 24s", Estimate.format(Duration.ofSeconds(264)));
        assertEquals("1h 0m", Estimate.format(Duration.ofMinutes(60)));
    }

    @Test
    void aSlowLinkMeasuredEarlierLengthensTheLaterDeadlinesInsteadOfTimingThemOut() {
        // every link measured at 1 kB/s: far below the nominal 10 GB/s the plan assumed
        FakeBench bench = new FakeBench(comm -> 1e-6);
        try (BenchContext ctx = FakeBench.context(FakeBench.settings(BenchProfile.QUICK), FakeBench.nodes(2, 2, 2),
                bench::run, line -> { })) {
            AllNodesPhase.run(ctx);
            RailsPhase.run(ctx);
        }
        List<Long> timeouts = bench.ran.stream().map(c -> c.spec().getTimeout().getSeconds()).distinct().toList();
        assertEquals(List.of(30L, 120L), timeouts, "the floor, then quick's cap");
    }
}
