package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.proto.v1.BenchSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's work per size, as pf_comm_run runs it. */
class SweepWorkTest {
    private static BenchSpec.Builder spec(BenchSpec.Op op) {
        return BenchSpec.newBuilder().addOps(op).addDtypes(BenchSpec.DataType.BFLOAT16).setMinBytes(1024)
                .setMaxBytes(4096).setStepFactor(2).setIters(20).setWarmupIters(5);
    }

    @Test
    void warmUpOnceThenEachPlacementsUntimedOpTimedIterationsAndValidation() {
        List<SweepWork> work = SweepWork.of(spec(BenchSpec.Op.ALL_REDUCE).build(), 8);
        assertEquals(List.of(1024L, 2048L, 4096L), work.stream().map(SweepWork::bytes).toList());
        // 5 warm-up + 2 x (1 untimed + 20 timed) + 2 validations
        assertEquals(49, work.get(0).launches());
        assertEquals(3, work.get(0).syncs());
    }

    @Test
    void inPlaceAllToAllIsNotValidatedAndNoValidationRunsNone() {
        assertEquals(48, SweepWork.of(spec(BenchSpec.Op.ALLTOALL).build(), 8).get(0).launches());
        assertEquals(47, SweepWork.of(spec(BenchSpec.Op.ALL_REDUCE).setNoValidation(true).build(), 8).get(0).launches());
    }

    @Test
    void graphsRunTheCapturedIterationsOncePerLaunch() {
        // 20 iterations captured, launched 10 times: 200 timed per placement
        assertEquals(5 + 2 * (1 + 200) + 2,
                SweepWork.of(spec(BenchSpec.Op.ALL_REDUCE).setGraphLaunches(10).build(), 8).get(0).launches());
    }

    @Test
    void theSizesAreTheRequestsSizesRoundedAsNcclTestsRoundsThem() {
        BenchSpec spec = spec(BenchSpec.Op.ALL_GATHER).setMinBytes(1000).setMaxBytes(1000).build();
        long requested = CollectiveSweep.plan(spec, 3).get(0).sizes().get(0).sizeBytes();
        assertEquals(requested, SweepWork.of(spec, 3).get(0).bytes());
        assertEquals(960, requested, "1000 B over 3 ranks: 160 elements each, rounded down to 16 bytes");
    }
}
