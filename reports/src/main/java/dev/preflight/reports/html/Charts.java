package dev.preflight.reports.html;

import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Judgement;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.PairwiseMatrix;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import dev.preflight.proto.v1.Scoring.Band;
import dev.preflight.proto.v1.Scoring.LinkAssessment;
import dev.preflight.reports.Series;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The report's charts as inline SVG, each drawn from whatever data the report holds. */
final class Charts {
    static final int WIDTH = 760;
    static final int LEFT = 70;
    static final int RIGHT = 150;
    static final int TOP = 20;
    static final int BOTTOM = 46;
    /** Past this many nodes the matrix and the rails show the worst ones; the tables hold the rest. */
    static final int MAX_NODES = 48;
    static final int MAX_LEGEND = 8;
    static final int MAX_LATENCY_ROWS = 24;

    private Charts() {}

    /** Bus bandwidth against message size (log scale) for one collective and kind, the policy's bands behind. */
    static String busbw(String op, Sweep.Kind kind, List<Sweep> series, List<Band> bands) {
        int height = 330;
        double plotW = WIDTH - LEFT - RIGHT;
        double plotH = height - TOP - BOTTOM;
        long minBytes = Long.MAX_VALUE;
        long maxBytes = 1;
        double maxBw = 0;
        for (Sweep s : series) {
            for (SweepPoint p : points(s)) {
                minBytes = Math.min(minBytes, p.getBytes());
                maxBytes = Math.max(maxBytes, p.getBytes());
                maxBw = Math.max(maxBw, p.getBusbwBytesPerSecond());
            }
        }
        List<Band> shown = new ArrayList<>();
        for (Band band : bands) {
            if (band.getKind().equals(kind.name()) && (band.getOp().isEmpty() || band.getOp().equals(op))) {
                shown.add(band);
            }
        }
        // up to the next band boundary above the data, so the chart shows how far the measurement is from it
        double top = maxBw;
        double nextAbove = Double.MAX_VALUE;
        for (Band band : shown) {
            if (band.getLowBytesPerSecond() > maxBw) {
                nextAbove = Math.min(nextAbove, band.getLowBytesPerSecond());
            }
        }
        if (nextAbove < Double.MAX_VALUE) {
            top = nextAbove;
        }
        double yStep = Svg.step(top * 1.1, 5);
        double yMax = Math.max(yStep, Math.ceil(top * 1.1 / yStep) * yStep);
        double lx0 = log2(Math.max(1, minBytes));
        double lx1 = Math.max(lx0 + 1, log2(maxBytes));
        final double yTop = yMax;
        java.util.function.DoubleUnaryOperator x = b -> LEFT + (log2(b) - lx0) / (lx1 - lx0) * plotW;
        java.util.function.DoubleUnaryOperator y = v -> TOP + plotH - Math.min(v, yTop) / yTop * plotH;

        Svg svg = new Svg("busbw", WIDTH, height, "bus bandwidth of " + op + " " + kindLabel(kind) + " by message size");
        for (Band band : shown) {
            double low = band.getLowBytesPerSecond();
            double high = band.getHighBytesPerSecond() <= 0 ? yMax : Math.min(band.getHighBytesPerSecond(), yMax);
            if (low >= yMax) {
                continue;
            }
            svg.rect(LEFT, y.applyAsDouble(high), plotW, y.applyAsDouble(low) - y.applyAsDouble(high),
                    statusColor(band.getStatus()), "fill-opacity=\"0.13\" class=\"band\"", band.getLabel() + ": "
                            + Bandwidths.format(low) + (band.getHighBytesPerSecond() > 0 ? " to "
                                    + Bandwidths.format(band.getHighBytesPerSecond()) : " and above"));
            svg.text(LEFT + plotW - 4, y.applyAsDouble(high) + 12, band.getLabel(), "end", "class=\"band-label\"");
        }
        axes(svg, plotW, plotH);
        for (double v = 0; v <= yMax + 1e-6; v += yStep) {
            double py = y.applyAsDouble(v);
            svg.line(LEFT - 4, py, LEFT + plotW, py, "#ccc", "stroke-dasharray=\"2,3\"");
            svg.text(LEFT - 6, py + 4, Axis.gb(v), "end", "class=\"tick\"");
        }
        int tickEvery = Math.max(1, (int) Math.ceil((lx1 - lx0) / 10));
        for (int k = (int) Math.ceil(lx0); k <= lx1; k += tickEvery) {
            double px = x.applyAsDouble(Math.pow(2, k));
            svg.line(px, TOP + plotH, px, TOP + plotH + 4, "#333", "");
            svg.text(px, TOP + plotH + 17, ByteSizes.format(1L << k).replace(" ", ""), "middle", "class=\"tick\"");
        }
        svg.text(LEFT + plotW / 2, height - 8, "message size (log scale)", "middle", "class=\"axis-label\"");
        svg.text(16, TOP + plotH / 2, "bus bandwidth (GB/s)", "middle",
                "class=\"axis-label\" transform=\"rotate(-90 16 " + Svg.n(TOP + plotH / 2) + ")\"");
        for (int i = 0; i < series.size(); i++) {
            List<SweepPoint> pts = points(series.get(i));
            double[] xs = new double[pts.size()];
            double[] ys = new double[pts.size()];
            for (int j = 0; j < pts.size(); j++) {
                xs[j] = x.applyAsDouble(pts.get(j).getBytes());
                ys[j] = y.applyAsDouble(pts.get(j).getBusbwBytesPerSecond());
            }
            String color = Svg.PALETTE[i % Svg.PALETTE.length];
            svg.polyline(xs, ys, color, Series.label(series.get(i)));
            if (i < MAX_LEGEND) {
                double ly = TOP + 10 + i * 16;
                svg.line(WIDTH - RIGHT + 10, ly - 4, WIDTH - RIGHT + 28, ly - 4, color, "stroke-width=\"3\"");
                svg.text(WIDTH - RIGHT + 32, ly, shorten(legend(series.get(i)), 20), "start", "class=\"legend\"");
            }
        }
        if (series.size() > MAX_LEGEND) {
            svg.text(WIDTH - RIGHT + 10, TOP + 10 + MAX_LEGEND * 16, "+" + (series.size() - MAX_LEGEND) + " more",
                    "start", "class=\"legend\"");
        }
        return svg.close();
    }

    /** Node x node send/recv bandwidth, red (slowest) to green (fastest). */
    static String pairwise(PairwiseMatrix matrix) {
        Map<String, Double> byPair = new LinkedHashMap<>();
        Set<String> nodes = new LinkedHashSet<>(matrix.getNodesList());
        double max = 0;
        double min = Double.MAX_VALUE;
        for (PairResult pair : matrix.getPairsList()) {
            byPair.put(pair.getA() + "\u0000" + pair.getB(), pair.getBusbwBytesPerSecond());
            byPair.put(pair.getB() + "\u0000" + pair.getA(), pair.getBusbwBytesPerSecond());
            nodes.add(pair.getA());
            nodes.add(pair.getB());
            max = Math.max(max, pair.getBusbwBytesPerSecond());
            min = Math.min(min, pair.getBusbwBytesPerSecond());
        }
        List<String> shown = worst(new ArrayList<>(nodes), node -> matrix.getPairsList().stream()
                .filter(p -> p.getA().equals(node) || p.getB().equals(node))
                .mapToDouble(PairResult::getBusbwBytesPerSecond).min().orElse(Double.MAX_VALUE), MAX_NODES);
        int n = shown.size();
        int label = 110;
        double cell = Math.max(8, Math.min(32, (WIDTH - label - 40) / (double) n));
        int size = (int) Math.ceil(label + cell * n + 20);
        Svg svg = new Svg("pairwise", Math.max(size, 360), size + 30, "pairwise send/recv bandwidth, node by node");
        for (int i = 0; i < n; i++) {
            svg.text(label - 6, label + cell * i + cell / 2 + 4, shorten(shown.get(i), 14), "end", "class=\"tick\"");
            double cx = label + cell * i + cell / 2;
            svg.text(cx, label - 6, shorten(shown.get(i), 14), "start",
                    "class=\"tick\" transform=\"rotate(-60 " + Svg.n(cx) + " " + Svg.n(label - 6.0) + ")\"");
            for (int j = 0; j < n; j++) {
                Double value = byPair.get(shown.get(i) + "\u0000" + shown.get(j));
                String fill;
                String tooltip;
                if (i == j) {
                    fill = "#eee";
                    tooltip = shown.get(i);
                } else if (value == null) {
                    fill = "#fff";
                    tooltip = shown.get(i) + " ↔ " + shown.get(j) + ": not measured";
                } else {
                    double ratio = max > min ? (value - min) / (max - min) : 1;
                    fill = String.format(Locale.ROOT, "hsl(%.0f,70%%,45%%)", ratio * 120);
                    tooltip = shown.get(i) + " ↔ " + shown.get(j) + ": " + Bandwidths.format(value);
                }
                svg.rect(label + cell * j, label + cell * i, cell - 1, cell - 1, fill, "class=\"cell\"", tooltip);
            }
        }
        svg.text(label, size + 18, "red " + Bandwidths.format(min == Double.MAX_VALUE ? 0 : min) + " · green "
                + Bandwidths.format(max) + shownOf(n, nodes.size()), "start", "class=\"legend\"");
        return svg.close();
    }

    /** Per node, each rail's measured bus bandwidth against its negotiated rate and efficiency floor. */
    static String rails(List<LinkAssessment> links) {
        Map<String, List<LinkAssessment>> byNode = new LinkedHashMap<>();
        double max = 0;
        for (LinkAssessment link : links) {
            byNode.computeIfAbsent(link.getNode(), k -> new ArrayList<>()).add(link);
            max = Math.max(max, Math.max(link.getNominalBytesPerSecond(), link.getMeasuredBytesPerSecond()));
        }
        double plotW = WIDTH - LEFT - 20;
        int railsPerNode = byNode.values().stream().mapToInt(List::size).max().orElse(1);
        // at least 3 px per bar, so a slow rail stays visible
        int maxGroups = (int) Math.max(1, Math.min(MAX_NODES, plotW / (railsPerNode * 3.0 + 6)));
        List<String> shown = worst(new ArrayList<>(byNode.keySet()), node -> byNode.get(node).stream()
                .mapToDouble(l -> l.getMeasuredBytesPerSecond() > 0 ? l.getMeasuredBytesPerSecond() / l.getNominalBytesPerSecond() : 1)
                .min().orElse(1), maxGroups);
        int height = 300;
        double plotH = height - TOP - BOTTOM - 20;
        double yStep = Svg.step(max * 1.1, 5);
        double yMax = Math.max(yStep, Math.ceil(max * 1.1 / yStep) * yStep);
        java.util.function.DoubleUnaryOperator y = v -> TOP + plotH - v / yMax * plotH;
        Svg svg = new Svg("rails", WIDTH, height, "measured bandwidth of every rail, per node");
        axes(svg, plotW, plotH);
        for (double v = 0; v <= yMax + 1e-6; v += yStep) {
            svg.line(LEFT - 4, y.applyAsDouble(v), LEFT + plotW, y.applyAsDouble(v), "#ccc", "stroke-dasharray=\"2,3\"");
            svg.text(LEFT - 6, y.applyAsDouble(v) + 4, Axis.gb(v), "end", "class=\"tick\"");
        }
        double groupW = plotW / shown.size();
        for (int g = 0; g < shown.size(); g++) {
            List<LinkAssessment> group = byNode.get(shown.get(g));
            double barW = (groupW - 6) / group.size();
            for (int i = 0; i < group.size(); i++) {
                LinkAssessment link = group.get(i);
                double bx = LEFT + g * groupW + 3 + i * barW;
                boolean measured = link.getMeasuredBytesPerSecond() > 0;
                double value = measured ? link.getMeasuredBytesPerSecond() : link.getNominalBytesPerSecond();
                svg.rect(bx, y.applyAsDouble(value), barW > 3 ? barW - 1 : barW, y.applyAsDouble(0) - y.applyAsDouble(value),
                        statusColor(link.getStatus()), measured ? "class=\"bar\"" : "class=\"bar\" fill-opacity=\"0.35\"",
                        link.getNode() + " " + link.getLink() + (link.getRail() >= 0 ? " rail " + link.getRail() : "") + ": "
                                + (measured ? Bandwidths.format(value) + " measured" : "not measured") + ", "
                                + Bandwidths.formatBits(link.getNominalBytesPerSecond()) + " negotiated, floor "
                                + Bandwidths.format(link.getFloorBytesPerSecond()));
                svg.line(bx, y.applyAsDouble(link.getFloorBytesPerSecond()), bx + barW - 1,
                        y.applyAsDouble(link.getFloorBytesPerSecond()), "#000", "class=\"floor\"");
            }
            // labels need about 7 px a character: label every k-th group when groups are narrow
            int every = (int) Math.ceil(60 / groupW);
            if (g % every == 0) {
                svg.text(LEFT + g * groupW + groupW / 2, TOP + plotH + 16, shorten(shown.get(g), Math.max(4, (int) (groupW * every / 7))),
                        "middle", "class=\"tick\"");
            }
        }
        svg.text(LEFT + plotW / 2, height - 10, "rails per node (bar: measured; faint: not measured; black line: efficiency floor)"
                + shownOf(shown.size(), byNode.size()), "middle", "class=\"axis-label\"");
        svg.text(16, TOP + plotH / 2, "GB/s", "middle", "class=\"axis-label\" transform=\"rotate(-90 16 " + Svg.n(TOP + plotH / 2) + ")\"");
        return svg.close();
    }

    /** p50 and p99 of each latency measurement, side by side. */
    static String latency(List<LatencyResult> all) {
        List<LatencyResult> results = new ArrayList<>(all);
        if (results.size() > MAX_LATENCY_ROWS) {
            results.sort(Comparator.comparingDouble(LatencyResult::getP99Us).reversed());
            results = results.subList(0, MAX_LATENCY_ROWS);
        }
        int rowH = 34;
        int height = TOP + results.size() * rowH + BOTTOM;
        double labelW = 230;
        double plotW = WIDTH - labelW - 30;
        double max = results.stream().mapToDouble(r -> Math.max(r.getP50Us(), r.getP99Us())).max().orElse(1);
        double step = Svg.step(max * 1.1, 5);
        double xMax = Math.max(step, Math.ceil(max * 1.1 / step) * step);
        Svg svg = new Svg("latency", WIDTH, height, "op latency p50 and p99");
        for (double v = 0; v <= xMax + 1e-9; v += step) {
            double px = labelW + v / xMax * plotW;
            svg.line(px, TOP, px, TOP + results.size() * rowH, "#ccc", "stroke-dasharray=\"2,3\"");
            svg.text(px, TOP + results.size() * rowH + 16, Axis.number(v) + " µs", "middle", "class=\"tick\"");
        }
        for (int i = 0; i < results.size(); i++) {
            LatencyResult r = results.get(i);
            double ry = TOP + i * rowH;
            String name = r.getOp() + " " + ByteSizes.format(r.getBytes()) + " " + String.join(",", r.getNodesList());
            svg.text(labelW - 6, ry + 20, shorten(name, 34), "end", "class=\"tick\"");
            svg.rect(labelW, ry + 4, r.getP50Us() / xMax * plotW, 12, "#1f77b4", "class=\"bar\"",
                    name + " p50 " + Axis.number(r.getP50Us()) + " µs");
            svg.rect(labelW, ry + 17, r.getP99Us() / xMax * plotW, 12, "#ff7f0e", "class=\"bar\"",
                    name + " p99 " + Axis.number(r.getP99Us()) + " µs");
        }
        svg.text(labelW, height - 8, "blue p50 · orange p99 (microseconds)" + (all.size() > results.size()
                ? " · the " + results.size() + " slowest p99 of " + all.size() : ""), "start", "class=\"legend\"");
        return svg.close();
    }

    private static void axes(Svg svg, double plotW, double plotH) {
        svg.line(LEFT, TOP, LEFT, TOP + plotH, "#333", "");
        svg.line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#333", "");
    }

    /** Out-of-place points where nccl-tests measured both, sorted by size. */
    static List<SweepPoint> points(Sweep series) {
        boolean anyOutOfPlace = series.getPointsList().stream().anyMatch(p -> !p.getInPlace());
        List<SweepPoint> result = new ArrayList<>();
        for (SweepPoint p : series.getPointsList()) {
            if (p.getBytes() > 0 && (!anyOutOfPlace || !p.getInPlace())) {
                result.add(p);
            }
        }
        result.sort(Comparator.comparingLong(SweepPoint::getBytes));
        return result;
    }

    /** The `limit` nodes scoring lowest, in name order; all of them when there are no more. */
    private static List<String> worst(List<String> nodes, java.util.function.ToDoubleFunction<String> score, int limit) {
        if (nodes.size() <= limit) {
            return nodes;
        }
        List<String> sorted = new ArrayList<>(nodes);
        sorted.sort(Comparator.comparingDouble(score).thenComparing(Comparator.naturalOrder()));
        List<String> worst = new ArrayList<>(sorted.subList(0, limit));
        worst.sort(Comparator.naturalOrder());
        return worst;
    }

    private static String shownOf(int shown, int total) {
        return shown < total ? " · the " + shown + " slowest of " + total + " nodes" : "";
    }

    static String kindLabel(Sweep.Kind kind) {
        switch (kind) {
            case INTRA_NODE:
                return "inside each node";
            case ALL_NODES:
                return "across all nodes";
            case RAIL:
                return "per rail";
            case PAIR:
                return "between node pairs";
            default:
                return kind.name().toLowerCase(Locale.ROOT);
        }
    }

    private static String legend(Sweep series) {
        switch (series.getKind()) {
            case INTRA_NODE:
            case PAIR:
                return String.join("~", series.getNodesList());
            case RAIL:
                return "rail " + series.getRail() + " " + String.join("~", series.getNodesList());
            default:
                return series.getNodesCount() + " nodes, " + series.getRanks() + " GPUs";
        }
    }

    static String statusColor(Judgement.Status status) {
        switch (status) {
            case PASS:
                return "#2ca02c";
            case WARN:
                return "#e6a100";
            case FAIL:
                return "#d62728";
            default:
                return "#888";
        }
    }

    static String shorten(String text, int max) {
        return text.length() <= max ? text : text.substring(0, Math.max(1, max - 1)) + "…";
    }

    private static double log2(double value) {
        return Math.log(value) / Math.log(2);
    }

    /** Axis numbers. */
    static final class Axis {
        private Axis() {}

        static String gb(double bytesPerSecond) {
            return number(bytesPerSecond / 1e9);
        }

        static String number(double value) {
            java.math.BigDecimal decimal = new java.math.BigDecimal(Double.toString(value))
                    .round(new java.math.MathContext(4)).stripTrailingZeros();
            return decimal.scale() < 0 ? decimal.setScale(0).toPlainString() : decimal.toPlainString();
        }
    }
}
