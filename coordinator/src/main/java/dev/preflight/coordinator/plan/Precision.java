package dev.preflight.coordinator.plan;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Weight precision and what one parameter costs in memory. */
public enum Precision {
    FP16(2), BF16(2), FP8(1), INT4(0.5);

    private final double bytesPerParameter;

    Precision(double bytesPerParameter) {
        this.bytesPerParameter = bytesPerParameter;
    }

    public double bytesPerParameter() {
        return bytesPerParameter;
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Precision parse(String text) {
        for (Precision precision : values()) {
            if (precision.key().equals(text.strip().toLowerCase(Locale.ROOT))) {
                return precision;
            }
        }
        throw new IllegalArgumentException("'" + text + "' is not a precision ("
                + Arrays.stream(values()).map(Precision::key).collect(Collectors.joining(", ")) + ")");
    }
}
