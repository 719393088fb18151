package dev.preflight.coordinator.score;

import dev.preflight.coordinator.score.Policy.OutlierSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Low outliers among values that should be alike (the same bench on every node, every rail, every
 * node pair), by the median and the median absolute deviation: one slow node cannot drag the
 * reference down as it drags a mean, and a uniformly fast fleet does not flag noise because a
 * relative floor must be crossed too.
 */
public final class Outliers {
    /** MAD x 1.4826 estimates the standard deviation of normally distributed values. */
    static final double MAD_TO_SIGMA = 1.4826;

    public record Outlier(String subject, double value, double median, double threshold) {}

    private Outliers() {}

    /** The subjects whose value lies below both thresholds, in input order; none below minFleet values. */
    public static List<Outlier> low(Map<String, Double> values, OutlierSettings settings) {
        List<Outlier> result = new ArrayList<>();
        if (!settings.enabled() || values.size() < settings.minFleet()) {
            return result;
        }
        double[] sorted = values.values().stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = median(sorted);
        double[] deviations = Arrays.stream(sorted).map(v -> Math.abs(v - median)).sorted().toArray();
        double sigma = median(deviations) * MAD_TO_SIGMA;
        double threshold = Math.min(median - settings.madZ() * sigma, median * (1 - settings.relativeFloor()));
        for (Map.Entry<String, Double> entry : new LinkedHashMap<>(values).entrySet()) {
            if (entry.getValue() < threshold) {
                result.add(new Outlier(entry.getKey(), entry.getValue(), median, threshold));
            }
        }
        return result;
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
