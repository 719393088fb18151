package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.WrongRank;
import org.junit.jupiter.api.Test;

/** A node bench's collectives as checks: wrong data names the ranks, and their GPUs, that received it. */
class BenchChecksTest {
    private static CheckResult allReduce(CollectiveResult.Builder result) {
        return BenchChecks.of(CollectiveResults.newBuilder().addResults(result.setOp(BenchSpec.Op.ALL_REDUCE)
                .setDtype(BenchSpec.DataType.FLOAT32).setNranks(4)).build()).get(0);
    }

    @Test
    void wrongDataNamesTheRanksAndGpusThatReceivedIt() {
        CheckResult check = allReduce(CollectiveResult.newBuilder()
                .setOutcome(CollectiveResult.Outcome.WRONG_RESULTS).setWrongTotal(6).addFailedRanks(2).addFailedRanks(3)
                .addWrongRanks(WrongRank.newBuilder().setRank(2).setGpu(2).setWrong(4))
                .addWrongRanks(WrongRank.newBuilder().setRank(3).setGpu(5).setWrong(2)));
        assertEquals(CheckResult.Status.FAIL, check.getStatus());
        assertEquals("all_reduce float32 on 4 ranks: 6 wrong element(s) in the output of ranks 2 (GPU 2), 3 (GPU 5): "
                + "the data NCCL delivered differs from the inputs' result", check.getSummary());
    }

    @Test
    void aCleanBenchNamesNoRank() {
        CheckResult check = allReduce(CollectiveResult.newBuilder().setOutcome(CollectiveResult.Outcome.OK));
        assertEquals(CheckResult.Status.PASS, check.getStatus());
        assertFalse(check.getSummary().contains("rank "), check.getSummary());
        assertTrue(check.getSummary().contains("0 wrong elements"), check.getSummary());
    }
}
