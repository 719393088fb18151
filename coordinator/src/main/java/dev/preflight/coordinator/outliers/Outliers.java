package dev.preflight.coordinator.outliers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * The one outlier rule, for "one bad node among many" (every bench phase, the host network and
 * the scorer use it). With at least {@code minFleet} values, the median and the median absolute
 * deviation (MAD) are the reference: they are barely moved by the bad node itself, where a mean and
 * standard deviation are dragged toward it (among four nodes a plain z-score cannot exceed 1.5).
 * With fewer (two or three nodes) a median says nothing, so each value is judged against the
 * ceiling the caller expects instead (what the links' rates and the policy allow), with the same
 * relative margin.
 */
public final class Outliers {
    /** MAD × this estimates the standard deviation of normally distributed values. */
    static final double MAD_TO_SIGMA = 1.4826;

    /**
     * @param sigmas how many (MAD-estimated) standard deviations below the median count as low
     * @param relativeFloor a value must also be at least this fraction below the reference (so a
     *     tight fleet, MAD near 0, does not flag noise)
     * @param minFleet from this many values the fleet's median is the reference; below it the
     *     expected ceiling is, where the caller knows one
     */
    public record Settings(double sigmas, double relativeFloor, int minFleet) {
        /** The policy's built-in rule (3.5 scaled MADs and 10% below the median, from four values). */
        public static final Settings DEFAULT = new Settings(3.5, 0.10, 4);

        public Settings {
            if (sigmas <= 0 || relativeFloor < 0 || relativeFloor >= 1 || minFleet < 3) {
                throw new IllegalArgumentException("outlier settings: sigmas > 0, 0 <= relativeFloor < 1, minFleet >= 3");
            }
        }

        /** The rule in words, as a scored result quotes it. */
        public String describe() {
            return "below the median by more than " + number(sigmas) + " x 1.4826 MAD and by more than "
                    + number(relativeFloor * 100) + "%, with at least " + minFleet + " to compare; with fewer, more than "
                    + number(relativeFloor * 100) + "% below the expected ceiling";
        }

        private static String number(double value) {
            return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
        }
    }

    /**
     * A low value.
     *
     * @param reference the fleet's median, or the expected ceiling with fewer than minFleet values
     * @param againstCeiling whether the reference is the expected ceiling
     */
    public record Outlier<K>(K subject, double value, double reference, double threshold, boolean againstCeiling) {}

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

    /** The keys whose values are low against the fleet's median, in the map's order; none below minFleet values. */
    public static <K> List<K> low(Map<K, Double> values, Settings settings) {
        List<K> keys = new ArrayList<>();
        for (Outlier<K> outlier : judge(values, settings, OptionalDouble.empty())) {
            keys.add(outlier.subject());
        }
        return keys;
    }

    /**
     * The low values, in the map's order: against the fleet's median from minFleet values, else
     * against {@code ceiling} where given (none without one).
     */
    public static <K> List<Outlier<K>> judge(Map<K, Double> values, Settings settings, OptionalDouble ceiling) {
        List<Outlier<K>> low = new ArrayList<>();
        if (values.isEmpty()) {
            return low;
        }
        double reference;
        double threshold;
        boolean againstCeiling = values.size() < settings.minFleet();
        if (againstCeiling) {
            if (ceiling.isEmpty()) {
                return low;
            }
            reference = ceiling.getAsDouble();
            threshold = reference * (1 - settings.relativeFloor());
        } else {
            double[] all = values.values().stream().mapToDouble(Double::doubleValue).toArray();
            reference = median(all);
            threshold = lowThreshold(all, settings);
        }
        for (Map.Entry<K, Double> entry : values.entrySet()) {
            if (entry.getValue() < threshold) {
                low.add(new Outlier<>(entry.getKey(), entry.getValue(), reference, threshold, againstCeiling));
            }
        }
        return low;
    }
}
