package dev.preflight.reports;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.WrongRank;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.List;

/** How every renderer names nodes, results and measured values, so the formats agree. */
public final class Names {
    private Names() {}

    public static String node(NodeReport node) {
        return node.getNodeName().isEmpty() ? node.getAddress() : node.getNodeName();
    }

    /** "host.shm", or "interconnect.link[mlx5_0/1 rail 0]" when a check reports several results. */
    public static String check(CheckResult check) {
        return check.getId() + (check.getSubject().isEmpty() ? "" : "[" + check.getSubject() + "]");
    }

    /**
     * The ranks that received wrong data and where they ran: "rank 2 (node-1 GPU 2)", "ranks 2
     * (node-1 GPU 2), 9 (node-2 GPU 1)"; the node is left out where the results do not name it.
     */
    public static String wrongRanks(List<WrongRank> ranks) {
        List<String> parts = new ArrayList<>();
        for (WrongRank rank : ranks) {
            parts.add(rank.getRank() + " (" + (rank.getNode().isEmpty() ? "" : rank.getNode() + " ") + "GPU "
                    + rank.getGpu() + ")");
        }
        return (ranks.size() == 1 ? "rank " : "ranks ") + String.join(", ", parts);
    }

    /** The check's numbers, each with its unit made readable: "shm_size_bytes=16 GiB". */
    public static String measured(CheckResult check) {
        List<String> parts = new ArrayList<>();
        for (Measurement m : check.getMeasurementsList()) {
            String name = m.getName().equals("measured") ? m.getSubject() : m.getName()
                    + (m.getSubject().isEmpty() ? "" : "[" + m.getSubject() + "]");
            parts.add(name + "=" + value(m));
        }
        return String.join("; ", parts);
    }

    /** Whole numbers as they are, others to three significant digits: 16.2, 0.125, 1500. */
    public static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        if (!Double.isFinite(v)) {
            return Double.toString(v);
        }
        BigDecimal rounded = new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros();
        return rounded.scale() < 0 ? rounded.setScale(0).toPlainString() : rounded.toPlainString();
    }

    public static String value(Measurement m) {
        switch (m.getUnit()) {
            case "B/s":
                return Bandwidths.format(m.getValue());
            case "bytes":
                return ByteSizes.format((long) m.getValue());
            default:
                String number = number(m.getValue());
                return m.getUnit().isEmpty() ? number : number + " " + m.getUnit();
        }
    }
}
