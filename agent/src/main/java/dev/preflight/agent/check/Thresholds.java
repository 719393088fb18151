package dev.preflight.agent.check;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/** Overrides of named thresholds; a name not overridden keeps its default. Immutable. */
public final class Thresholds {
    public static final Thresholds DEFAULTS = new Thresholds(Map.of());

    private final Map<String, Double> overrides;

    private Thresholds(Map<String, Double> overrides) {
        this.overrides = Map.copyOf(overrides);
    }

    /**
     * Overrides checked against the known thresholds.
     *
     * @throws IllegalArgumentException naming an unknown threshold (and the known ones) or a negative or non-finite value
     */
    public static Thresholds of(Map<String, Double> overrides, Collection<Threshold> known) {
        Map<String, Threshold> byName = new LinkedHashMap<>();
        for (Threshold threshold : known) {
            byName.put(threshold.name(), threshold);
        }
        for (Map.Entry<String, Double> override : overrides.entrySet()) {
            if (!byName.containsKey(override.getKey())) {
                throw new IllegalArgumentException("unknown threshold '" + override.getKey() + "'; known: "
                        + String.join(", ", byName.keySet()));
            }
            double value = override.getValue();
            if (!Double.isFinite(value) || value < 0) {
                throw new IllegalArgumentException("threshold " + override.getKey() + " must be a non-negative number, got "
                        + value);
            }
        }
        return new Thresholds(overrides);
    }

    public double valueOf(Threshold threshold) {
        return overrides.getOrDefault(threshold.name(), threshold.defaultValue());
    }

    public Map<String, Double> overrides() {
        return overrides;
    }
}
