package dev.preflight.coordinator.cli;

import dev.preflight.proto.units.Numbers;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations with an explicit unit: 500ms, 30s, 2m, 1h (a bare number is ambiguous and refused). */
public final class DurationConverter implements ITypeConverter<Duration> {
    /** A week: longer than any preflight run or deadline; a larger value is a unit mistake. */
    static final Duration MAX = Duration.ofDays(7);

    @Override
    public Duration convert(String value) {
        try {
            return Numbers.duration(value, "duration", Duration.ofMillis(1), MAX);
        } catch (Numbers.NumberException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
