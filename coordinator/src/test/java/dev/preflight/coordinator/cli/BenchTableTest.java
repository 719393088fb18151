package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.SizeRow;
import org.junit.jupiter.api.Test;

/** Lines compare with nccl-tests' own, character for character (rows of the real captures). */
class BenchTableTest {
    private static Placement placement(double us, double algbw, double busbw, long wrong) {
        return Placement.newBuilder().setTimeUs(us).setAlgbwGbps(algbw).setBusbwGbps(busbw).setWrong(wrong).build();
    }

    @Test
    void anAllReduceRowReadsLikeNcclTests() {
        // allreduce-2node-16xH100-gcp-a3mega-tcpxo.txt, largest row
        SizeRow row = SizeRow.newBuilder().setSizeBytes(8589934592L).setCount(2147483648L)
                .setOutOfPlace(placement(47535, 180.71, 338.82, 0))
                .setInPlace(placement(47743, 179.92, 337.35, 0)).build();
        assertEquals("  8589934592    2147483648     float     sum      -1    47535  180.71  338.82      0    47743  179.92  "
                + "337.35      0\n", BenchTable.row(BenchSpec.DataType.FLOAT32, row, false));
    }

    @Test
    void smallTimesKeepTwoDecimalsAndUncheckedInPlaceSaysNa() {
        // sendrecv-1node-8xA100-nvlink-partial-li-plus.txt
        SizeRow row = SizeRow.newBuilder().setSizeBytes(134217728).setCount(33554432)
                .setOutOfPlace(placement(1211.2, 110.81, 110.81, 0))
                .setInPlace(placement(1211.8, 110.76, 110.76, -1)).build();
        assertEquals("   134217728      33554432     float     sum      -1   1211.2  110.81  110.81      0   1211.8  110.76  "
                + "110.76    N/A\n", BenchTable.row(BenchSpec.DataType.FLOAT32, row, false));
        assertEquals("  12.90", BenchTable.time(12.9));
        assertEquals("  135.8", BenchTable.time(135.8));
        assertEquals("  16215", BenchTable.time(16215.4));
    }

    @Test
    void theFooterCarriesNcclTestsSummaryAndTheFailure() {
        CollectiveResult failed = CollectiveResult.newBuilder().setOp(BenchSpec.Op.ALL_GATHER)
                .setDtype(BenchSpec.DataType.FLOAT16).setNranks(8).setOutcome(CollectiveResult.Outcome.TIMEOUT)
                .setFailedCall("ncclAllGather").addFailedRanks(3).addFailedRanks(5)
                .setError("ncclAllGather did not complete within 60.0 s; communicator aborted").build();
        assertEquals("# all_gather float16 on 8 ranks\n"
                + "# Out of bounds values : 0 OK\n"
                + "# Avg bus bandwidth    : 0.00000\n"
                + "# TIMEOUT in ncclAllGather (ranks 3, 5): ncclAllGather did not complete within 60.0 s; communicator aborted\n"
                + "#\n", BenchTable.footer(failed));
    }
}
