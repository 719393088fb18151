package dev.preflight.agent.metrics;

import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.SizeRow;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A bench's results as /metrics figures: per collective, the statistic the verdict uses. */
public final class BenchSamples {
    /** The verdict's statistic: the best bus bandwidth over sizes from here up (256 MiB). */
    static final long LARGE_MESSAGE_BYTES = 256L << 20;

    private BenchSamples() {}

    /**
     * One sample per collective that completed: the best bus bandwidth at sizes of 256 MiB and up,
     * else (a sweep that stopped below) at its largest size.
     *
     * @param localRanks the ranks this agent contributed: all of them means an intra-node bench
     */
    public static List<BenchSample> of(CollectiveResults results, int localRanks) {
        List<BenchSample> samples = new ArrayList<>();
        for (CollectiveResult result : results.getResultsList()) {
            if (result.getOutcome() != CollectiveResult.Outcome.OK || result.getRowsCount() == 0) {
                continue;
            }
            long largest = result.getRows(result.getRowsCount() - 1).getSizeBytes();
            long from = Math.min(LARGE_MESSAGE_BYTES, largest);
            double best = 0;
            for (SizeRow row : result.getRowsList()) {
                if (row.getSizeBytes() >= from) {
                    best = Math.max(best, Math.max(busbw(row.getOutOfPlace()), busbw(row.getInPlace())));
                }
            }
            samples.add(new BenchSample(result.getOp().name().toLowerCase(Locale.ROOT),
                    result.getNranks() == localRanks ? "intra_node" : "all_nodes", "", "", "", "", best * 1e9));
        }
        return samples;
    }

    private static double busbw(Placement placement) {
        return placement.getBusbwGbps();
    }
}
