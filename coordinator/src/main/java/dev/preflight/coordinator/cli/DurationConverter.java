package dev.preflight.coordinator.cli;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Durations with an explicit unit: 500ms, 30s, 2m, 1h (a bare number is ambiguous and refused). */
public final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern FORM = Pattern.compile("(\\d+)(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
        Matcher matcher = FORM.matcher(value.strip());
        if (!matcher.matches()) {
            throw new TypeConversionException("'" + value + "' is not a duration with a unit (e.g. 500ms, 30s, 2m, 1h)");
        }
        long amount = Long.parseLong(matcher.group(1));
        Duration duration;
        switch (matcher.group(2)) {
            case "ms":
                duration = Duration.ofMillis(amount);
                break;
            case "s":
                duration = Duration.ofSeconds(amount);
                break;
            case "m":
                duration = Duration.ofMinutes(amount);
                break;
            default:
                duration = Duration.ofHours(amount);
                break;
        }
        if (duration.isZero()) {
            throw new TypeConversionException("'" + value + "' must be longer than zero");
        }
        return duration;
    }
}
