package dev.preflight.reports;

import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.HostLink;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.PortRate;
import dev.preflight.proto.v1.Measurements.StorageRead;
import dev.preflight.proto.v1.Measurements.Sweep;
import java.util.List;

/**
 * Stable names of the numbers a report holds, so a baseline and a new report line up and a
 * scored result can cite the number it judged (its measurement's subject is the key).
 */
public final class MetricKeys {
    private MetricKeys() {}

    /** Unique per communicator: two rails of different node pairs must not share a key. */
    public static String busbw(Sweep series) {
        String nodes = nodes(series.getNodesList());
        String where;
        switch (series.getKind()) {
            case INTRA_NODE:
                where = "intra-node " + nodes;
                break;
            case RAIL:
                where = "rail " + series.getRail() + " " + nodes;
                break;
            case PAIR:
                where = "pair " + nodes;
                break;
            case ALL_NODES:
                where = "all nodes " + nodes;
                break;
            default:
                where = series.getKind().name().toLowerCase(java.util.Locale.ROOT) + " " + nodes;
                break;
        }
        return "busbw " + series.getOp() + " " + where + (series.getDtype().isEmpty() ? "" : " " + series.getDtype())
                + (series.getAttempt() > 1 ? " attempt " + series.getAttempt() : "");
    }

    /** Node lists name every node up to eight; longer ones by count, ends and a digest of the whole list. */
    static String nodes(List<String> nodes) {
        if (nodes.size() <= 8) {
            return String.join(",", nodes);
        }
        return nodes.get(0) + ".." + nodes.get(nodes.size() - 1) + "#" + Integer.toHexString(nodes.hashCode());
    }

    public static String port(PortRate port) {
        return "port rate " + port.getNode() + " " + port.getDevice() + "/" + port.getPort();
    }

    public static String pair(PairResult pair) {
        String a = pair.getA();
        String b = pair.getB();
        return "pair busbw " + (a.compareTo(b) <= 0 ? a + "~" + b : b + "~" + a);
    }

    public static String latency(LatencyResult latency, String percentile) {
        return "latency " + percentile + " " + latency.getOp() + " " + nodes(latency.getNodesList()) + " "
                + ByteSizes.format(latency.getBytes());
    }

    public static String storage(StorageRead read) {
        return "storage read " + read.getNode() + " " + read.getPath();
    }

    public static String hostNetwork(HostLink link) {
        return "tcp " + link.getFromNode() + "->" + link.getToNode();
    }
}
