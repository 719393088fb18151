package dev.preflight.reports;

import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.HostLink;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.PortRate;
import dev.preflight.proto.v1.Measurements.StorageRead;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * A new report against a baseline: numbers that got worse by more than a percentage, results that
 * changed status, nodes that appeared or vanished. A regression is failing when the new report
 * judges the number (or its check) FAIL; a result that became FAIL is failing too.
 */
public final class BaselineDiff {
    /** Units where more is better; in the others (time, counts, temperature) less is better. */
    private static final Set<String> HIGHER_IS_BETTER = Set.of("B/s", "bytes");
    private static final Set<String> LOWER_IS_BETTER = Set.of("s", "us", "ms", "count", "celsius");

    /** A number present in both reports. */
    public record Metric(String key, double value, String unit, boolean higherIsBetter, Status status) {}

    public record Regression(String key, double before, double after, String unit, double percentWorse, Status status) {
        public boolean failing() {
            return status == Status.FAIL;
        }
    }

    public record StatusChange(String where, String check, Status before, Status after) {
        public boolean failing() {
            return after == Status.FAIL && before != Status.FAIL;
        }
    }

    public record Result(double regressionPercent, List<Regression> regressions, List<StatusChange> statusChanges,
            List<String> appeared, List<String> vanished, int compared) {
        public boolean failing() {
            return regressions.stream().anyMatch(Regression::failing) || statusChanges.stream().anyMatch(StatusChange::failing);
        }
    }

    private BaselineDiff() {}

    public static Result compare(PreflightReport baseline, PreflightReport current, double regressionPercent) {
        long largeMin = current.getScoring().getLargeMessageMinBytes() > 0 ? current.getScoring().getLargeMessageMinBytes()
                : 256 * ByteSizes.MIB;
        Map<String, Metric> before = metrics(baseline, largeMin);
        Map<String, Metric> after = metrics(current, largeMin);
        List<Regression> regressions = new ArrayList<>();
        int compared = 0;
        for (Metric now : after.values()) {
            Metric old = before.get(now.key());
            if (old == null || !old.unit().equals(now.unit())) {
                continue;
            }
            compared++;
            double worse;
            if (now.higherIsBetter()) {
                worse = old.value() > 0 ? (old.value() - now.value()) / old.value() * 100 : 0;
            } else {
                worse = old.value() > 0 ? (now.value() - old.value()) / old.value() * 100
                        : now.value() > 0 ? Double.POSITIVE_INFINITY : 0;
            }
            if (worse > regressionPercent) {
                regressions.add(new Regression(now.key(), old.value(), now.value(), now.unit(), worse, now.status()));
            }
        }

        Map<String, Status> oldStatus = statuses(baseline);
        Map<String, Status> newStatus = statuses(current);
        List<StatusChange> changes = new ArrayList<>();
        for (Map.Entry<String, Status> entry : newStatus.entrySet()) {
            Status old = oldStatus.get(entry.getKey());
            if (old != null && old != entry.getValue()) {
                String[] parts = entry.getKey().split("\u0000", 2);
                changes.add(new StatusChange(parts[0], parts[1], old, entry.getValue()));
            }
        }
        Set<String> oldNodes = nodes(baseline);
        Set<String> newNodes = nodes(current);
        List<String> appeared = new ArrayList<>(newNodes);
        appeared.removeAll(oldNodes);
        List<String> vanished = new ArrayList<>(oldNodes);
        vanished.removeAll(newNodes);
        return new Result(regressionPercent, regressions, changes, appeared, vanished, compared);
    }

    /** The diff as people read it; failing lines are marked FAIL. */
    public static String render(Result result) {
        StringBuilder out = new StringBuilder();
        out.append(result.failing() ? "diff: FAIL" : "diff: ok").append(" (").append(result.compared())
                .append(" numbers compared; regression threshold ").append(number(result.regressionPercent())).append("%)\n");
        if (!result.regressions().isEmpty()) {
            out.append("\nregressions:\n");
            for (Regression r : result.regressions()) {
                out.append(String.format(Locale.ROOT, "  %-4s %s: %s -> %s (%s worse)%n", r.failing() ? "FAIL" : r.status() == Status.WARN ? "WARN" : "",
                        r.key(), value(r.before(), r.unit()), value(r.after(), r.unit()),
                        Double.isInfinite(r.percentWorse()) ? "from zero" : number(r.percentWorse()) + "%"));
            }
        }
        if (!result.statusChanges().isEmpty()) {
            out.append("\nstatus changes:\n");
            for (StatusChange c : result.statusChanges()) {
                out.append(String.format(Locale.ROOT, "  %-4s %s: %s %s -> %s%n", c.failing() ? "FAIL" : "", c.where(), c.check(),
                        c.before().name(), c.after().name()));
            }
        }
        if (!result.appeared().isEmpty()) {
            out.append("\nnodes appeared: ").append(String.join(", ", result.appeared())).append('\n');
        }
        if (!result.vanished().isEmpty()) {
            out.append("\nnodes vanished: ").append(String.join(", ", result.vanished())).append('\n');
        }
        return out.toString();
    }

    /** Every comparable number of a report, by key, with the status the report's judgement gives it. */
    static Map<String, Metric> metrics(PreflightReport report, long largeMin) {
        Map<String, Status> cited = new LinkedHashMap<>();
        forEachCheck(report, (where, check) -> {
            if (check.getScored()) {
                for (Measurement m : check.getMeasurementsList()) {
                    cited.merge(m.getSubject(), check.getStatus(), Statuses::worse);
                }
            }
        });
        Map<String, Metric> metrics = new LinkedHashMap<>();
        Measurements m = report.getMeasurements();
        for (Sweep series : m.getSeriesList()) {
            OptionalDouble best = Series.bestBusbw(series, largeMin);
            if (best.isPresent()) {
                put(metrics, cited, MetricKeys.busbw(series), best.getAsDouble(), "B/s", true);
            }
        }
        for (PortRate port : m.getPortsList()) {
            put(metrics, cited, MetricKeys.port(port), port.getRateBytesPerSecond(), "B/s", true);
        }
        for (PairResult pair : m.getPairwise().getPairsList()) {
            put(metrics, cited, MetricKeys.pair(pair), pair.getBusbwBytesPerSecond(), "B/s", true);
        }
        for (LatencyResult latency : m.getLatencyList()) {
            put(metrics, cited, MetricKeys.latency(latency, "p50"), latency.getP50Us(), "us", false);
            put(metrics, cited, MetricKeys.latency(latency, "p99"), latency.getP99Us(), "us", false);
        }
        for (StorageRead read : m.getStorageList()) {
            put(metrics, cited, MetricKeys.storage(read), read.getReadBytesPerSecond(), "B/s", true);
        }
        for (HostLink link : report.getHostNetwork().getLinksList()) {
            if (link.getError().isEmpty()) {
                put(metrics, cited, MetricKeys.hostNetwork(link), link.getThroughputBytesPerSecond(), "B/s", true);
            }
        }
        forEachCheck(report, (where, check) -> {
            if (check.getScored()) {
                return;
            }
            for (Measurement measurement : check.getMeasurementsList()) {
                boolean higher = HIGHER_IS_BETTER.contains(measurement.getUnit());
                if (!higher && !LOWER_IS_BETTER.contains(measurement.getUnit())) {
                    continue;
                }
                String key = where + " " + Names.check(check) + " " + measurement.getName()
                        + (measurement.getSubject().isEmpty() ? "" : "[" + measurement.getSubject() + "]");
                metrics.put(key, new Metric(key, measurement.getValue(), measurement.getUnit(), higher, check.getStatus()));
            }
        });
        return metrics;
    }

    private static void put(Map<String, Metric> metrics, Map<String, Status> cited, String key, double value, String unit,
            boolean higher) {
        metrics.put(key, new Metric(key, value, unit, higher, cited.getOrDefault(key, Status.PASS)));
    }

    private static Map<String, Status> statuses(PreflightReport report) {
        Map<String, Status> statuses = new LinkedHashMap<>();
        forEachCheck(report, (where, check) -> statuses.put(where + "\u0000" + Names.check(check), check.getStatus()));
        return statuses;
    }

    private static Set<String> nodes(PreflightReport report) {
        Set<String> nodes = new LinkedHashSet<>();
        for (NodeReport node : report.getNodesList()) {
            nodes.add(Names.node(node));
        }
        return nodes;
    }

    private interface CheckVisitor {
        void visit(String where, CheckResult check);
    }

    private static void forEachCheck(PreflightReport report, CheckVisitor visitor) {
        for (CheckResult check : report.getClusterChecksList()) {
            visitor.visit("cluster", check);
        }
        for (NodeReport node : report.getNodesList()) {
            for (CheckResult check : node.getChecksList()) {
                visitor.visit("node " + Names.node(node), check);
            }
        }
    }

    private static String value(double value, String unit) {
        return Names.value(Measurement.newBuilder().setValue(value).setUnit(unit).build());
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}
