package dev.preflight.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.SizeRow;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchSamplesTest {
    private static SizeRow row(long bytes, double outOfPlace, double inPlace) {
        return SizeRow.newBuilder().setSizeBytes(bytes)
                .setOutOfPlace(Placement.newBuilder().setBusbwGbps(outOfPlace))
                .setInPlace(Placement.newBuilder().setBusbwGbps(inPlace)).build();
    }

    @Test
    void theBestBusBandwidthAtLargeMessagesPerCollective() {
        CollectiveResults results = CollectiveResults.newBuilder()
                .addResults(CollectiveResult.newBuilder().setOp(BenchSpec.Op.ALL_REDUCE).setNranks(8)
                        .setOutcome(CollectiveResult.Outcome.OK)
                        // a small size's figure never counts, however high
                        .addRows(row(128L << 20, 999, 999))
                        .addRows(row(256L << 20, 350, 362.5))
                        .addRows(row(512L << 20, 360, 355)))
                .addResults(CollectiveResult.newBuilder().setOp(BenchSpec.Op.ALL_GATHER).setNranks(16)
                        .setOutcome(CollectiveResult.Outcome.OK)
                        .addRows(row(1L << 20, 10, 12))
                        .addRows(row(64L << 20, 40, 41)))
                .addResults(CollectiveResult.newBuilder().setOp(BenchSpec.Op.ALLTOALL).setNranks(8)
                        .setOutcome(CollectiveResult.Outcome.TIMEOUT))
                .build();
        List<BenchSample> samples = BenchSamples.of(results, 8);
        assertEquals(2, samples.size());
        assertEquals(new BenchSample("all_reduce", "intra_node", "", "", "", "", 362.5e9), samples.get(0));
        // a sweep that stopped below 256 MiB is judged at its largest size
        assertEquals(new BenchSample("all_gather", "all_nodes", "", "", "", "", 41e9), samples.get(1));
    }
}
