package dev.preflight.reports.html;

import java.util.Locale;

/** A small SVG writer: numbers in a fixed locale, every text escaped. */
final class Svg {
    static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
        "#17becf"};

    private final StringBuilder out = new StringBuilder();

    Svg(String chart, int width, int height, String title) {
        out.append("<svg class=\"chart-svg\" data-chart=\"").append(Html.escape(chart)).append("\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\" viewBox=\"0 0 ").append(width).append(' ').append(height)
                .append("\" role=\"img\" aria-label=\"").append(Html.escape(title)).append("\">");
    }

    Svg rect(double x, double y, double w, double h, String fill, String extra, String tooltip) {
        out.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(Math.max(0, w)))
                .append("\" height=\"").append(n(Math.max(0, h))).append("\" fill=\"").append(fill).append('"');
        if (!extra.isEmpty()) {
            out.append(' ').append(extra);
        }
        if (tooltip == null) {
            out.append("/>");
        } else {
            out.append("><title>").append(Html.escape(tooltip)).append("</title></rect>");
        }
        return this;
    }

    Svg line(double x1, double y1, double x2, double y2, String stroke, String extra) {
        out.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2))
                .append("\" y2=\"").append(n(y2)).append("\" stroke=\"").append(stroke).append('"')
                .append(extra.isEmpty() ? "" : " " + extra).append("/>");
        return this;
    }

    Svg text(double x, double y, String text, String anchor, String extra) {
        out.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" text-anchor=\"").append(anchor)
                .append('"').append(extra.isEmpty() ? "" : " " + extra).append('>').append(Html.escape(text)).append("</text>");
        return this;
    }

    Svg polyline(double[] xs, double[] ys, String stroke, String tooltip) {
        out.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(stroke).append("\" points=\"");
        for (int i = 0; i < xs.length; i++) {
            out.append(i == 0 ? "" : " ").append(n(xs[i])).append(',').append(n(ys[i]));
        }
        out.append("\"><title>").append(Html.escape(tooltip)).append("</title></polyline>");
        return this;
    }

    String close() {
        return out.append("</svg>").toString();
    }

    static String n(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    /** Round steps (1, 2, 5 x 10^k) so about `count` ticks cover [0, max]. */
    static double step(double max, int count) {
        if (!(max > 0)) {
            return 1;
        }
        double raw = max / count;
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double normal = raw / magnitude;
        double nice = normal <= 1 ? 1 : normal <= 2 ? 2 : normal <= 5 ? 5 : 10;
        return nice * magnitude;
    }
}
