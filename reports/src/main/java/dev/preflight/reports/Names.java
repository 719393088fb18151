package dev.preflight.reports;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

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

    public static String value(Measurement m) {
        switch (m.getUnit()) {
            case "B/s":
                return Bandwidths.format(m.getValue());
            case "bytes":
                return ByteSizes.format((long) m.getValue());
            default:
                double v = m.getValue();
                String number = v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
                        : String.format(Locale.ROOT, "%.4g", v);
                return m.getUnit().isEmpty() ? number : number + " " + m.getUnit();
        }
    }
}
