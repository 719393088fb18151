package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.RankIterations;
import org.junit.jupiter.api.Test;

class InferenceLatencyTest {
    /**
     * 4 ranks x 50 iterations: one rank's tail (3 slow iterations) is the top 1.5% of all 200, so
     * the true p99 (the 198th of 200) is the slowest rank's first slow iteration, where a mean of the ranks' p99s would dilute it.
     */
    @Test
    void theP99IsOverEveryIterationOfEveryRank() {
        Placement.Builder placement = Placement.newBuilder().setP99Us(11);
        for (int rank = 0; rank < 4; rank++) {
            RankIterations.Builder times = RankIterations.newBuilder().setRank(rank).setNode("n1");
            for (int i = 0; i < 50; i++) {
                times.addIterationUs(rank == 3 && i < 3 ? 400 + i : 10 + i * 0.01);
            }
            placement.addRankIterations(times);
        }
        assertEquals(400, InferencePhase.p99OverAllIterations(placement.build()).orElseThrow(), 1e-9);
        assertTrue(InferencePhase.p99OverAllIterations(Placement.newBuilder().setP99Us(11).build()).isEmpty(),
                "no iterations recorded: the report's own p99 stands, and the verdict says which it is");
    }
}
