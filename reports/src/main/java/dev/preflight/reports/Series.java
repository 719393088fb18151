package dev.preflight.reports;

import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import java.util.Locale;
import java.util.OptionalDouble;

/** What every consumer of a bench series needs alike: its name and its headline statistic. */
public final class Series {
    private Series() {}

    /**
     * The statistic the policy judges: the best bus bandwidth over sizes of at least minBytes,
     * never nccl-tests' "Avg bus bandwidth" (an average that includes tiny, latency-bound sizes).
     * Empty when no point is that large.
     */
    public static OptionalDouble bestBusbw(Sweep series, long minBytes) {
        return series.getPointsList().stream()
                .filter(p -> p.getBytes() >= minBytes)
                .mapToDouble(SweepPoint::getBusbwBytesPerSecond)
                .max();
    }

    /** "all_reduce intra-node node-a", "all_reduce rail 3 (2 nodes)", "send_recv pair a~b". */
    public static String label(Sweep series) {
        String op = series.getOp().isEmpty() ? "bench" : series.getOp();
        switch (series.getKind()) {
            case INTRA_NODE:
                return op + " intra-node " + String.join(",", series.getNodesList());
            case RAIL:
                return op + " rail " + series.getRail() + (series.getNodesCount() <= 4
                        ? " " + String.join("~", series.getNodesList()) : " (" + nodes(series) + ")");
            case PAIR:
                return op + " pair " + String.join("~", series.getNodesList());
            case ALL_NODES:
                return op + " all nodes (" + nodes(series) + ")";
            default:
                return op + " " + series.getKind().name().toLowerCase(Locale.ROOT) + " (" + nodes(series) + ")";
        }
    }

    private static String nodes(Sweep series) {
        int n = series.getNodesCount();
        return n == 1 ? "1 node" : n + " nodes";
    }
}
