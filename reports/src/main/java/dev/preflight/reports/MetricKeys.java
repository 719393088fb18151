package dev.preflight.reports;

import dev.preflight.proto.v1.BenchSeries;
import dev.preflight.proto.v1.HostNetworkResult;
import dev.preflight.proto.v1.LatencyResult;
import dev.preflight.proto.v1.PairResult;
import dev.preflight.proto.v1.PortRate;
import dev.preflight.proto.v1.StorageRead;
import dev.preflight.proto.units.ByteSizes;

/**
 * Stable names of the numbers a report holds, so a baseline and a new report line up and a
 * scored result can cite the number it judged (its measurement's subject is the key).
 */
public final class MetricKeys {
    private MetricKeys() {}

    public static String busbw(BenchSeries series) {
        return "busbw " + Series.label(series) + (series.getDtype().isEmpty() ? "" : " " + series.getDtype());
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
        return "latency " + percentile + " " + latency.getOp() + " " + String.join(",", latency.getNodesList()) + " "
                + ByteSizes.format(latency.getBytes());
    }

    public static String storage(StorageRead read) {
        return "storage read " + read.getNode() + " " + read.getPath();
    }

    public static String hostNetwork(HostNetworkResult result) {
        return "tcp " + result.getFrom() + "->" + result.getTo();
    }
}
