package dev.preflight.coordinator.outliers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Robust outlier detection for "one bad node among many": the median and the median absolute
 * deviation (MAD) are barely moved by the bad node itself, where a mean and standard deviation are
 * dragged toward it (among four nodes a plain z-score cannot exceed 1.5).
 */
public final class Outliers {
    /** MAD × this estimates the standard deviation of normally distributed values. */
    static final double MAD_TO_SIGMA = 1.4826;

    /**
     * @param sigmas how many (MAD-estimated) standard deviations below the median count as low
     * @param relativeFloor a value must also be at least this fraction below the median (so a tight
     *     fleet, MAD near 0, does not flag noise)
     * @param minFleet below this many values, nothing is called an outlier
     */
    public record Settings(double sigmas, double relativeFloor, int minFleet) {
        public static final Settings DEFAULT = new Settings(3.0, 0.2, 3);

        public Settings {
            if (sigmas <= 0 || relativeFloor < 0 || relativeFloor >= 1 || minFleet < 3) {
                throw new IllegalArgumentException("outlier settings: sigmas > 0, 0 <= relativeFloor < 1, minFleet >= 3");
            }
        }
    }

    private Outliers() {}

    public static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("median of nothing");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static double mad(double[] values) {
        double median = median(values);
        double[] deviations = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            deviations[i] = Math.abs(values[i] - median);
        }
        return median(deviations);
    }

    /** The threshold under which a value is low: the median minus the larger of the two margins. */
    public static double lowThreshold(double[] values, Settings settings) {
        double median = median(values);
        double margin = Math.max(settings.sigmas() * MAD_TO_SIGMA * mad(values), settings.relativeFloor() * median);
        return median - margin;
    }

    /** The keys whose values are low outliers, in the map's order; none when the fleet is too small. */
    public static <K> List<K> low(Map<K, Double> values, Settings settings) {
        if (values.size() < settings.minFleet()) {
            return List.of();
        }
        double[] all = values.values().stream().mapToDouble(Double::doubleValue).toArray();
        double threshold = lowThreshold(all, settings);
        List<K> low = new ArrayList<>();
        new LinkedHashMap<>(values).forEach((key, value) -> {
            if (value < threshold) {
                low.add(key);
            }
        });
        return low;
    }
}
