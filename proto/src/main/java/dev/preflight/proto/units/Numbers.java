package dev.preflight.proto.units;

import dev.preflight.proto.text.TerminalText;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way a number from outside (a flag, a policy, a report, a /proc or /sys file, a request)
 * becomes a value: counts, sizes, rates, durations and plain decimals, each checked against a
 * stated plausible range. NaN, infinities and values that would wrap or saturate a {@code long}
 * never get through; every refusal names the value, what it was for, and the range expected.
 *
 * <p>Ranges are inclusive. A caller states the range it can act on ("1 to 1e15 parameters"), not
 * the range a type can hold: a value far outside what any real cluster has is a typo or an attack,
 * and computing with it only moves the surprise downstream.
 */
public final class Numbers {
    private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");
    private static final Pattern DECIMAL = Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,19})(ms|s|m|h)");
    /** Longer than any number a person or a kernel writes; BigDecimal of a megabyte of digits is slow. */
    private static final int MAX_TEXT = 64;

    private Numbers() {}

    /** A number that is not a value, or not in its range. Its message is one line. */
    public static final class NumberException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        NumberException(String message) {
            super(message);
        }
    }

    /** A whole number written in decimal digits (no exponent, no fraction), in [min, max]. */
    public static long count(String text, String what, long min, long max) {
        String value = stripped(text);
        if (value.length() > MAX_TEXT || !INTEGER.matcher(value).matches()) {
            throw new NumberException(what + " " + quote(text) + " is not a whole number (expected "
                    + range(min, max) + ")");
        }
        BigInteger parsed = new BigInteger(value);
        if (parsed.compareTo(BigInteger.valueOf(min)) < 0 || parsed.compareTo(BigInteger.valueOf(max)) > 0) {
            throw outOfRange(what, text, range(min, max));
        }
        return parsed.longValueExact();
    }

    /** As {@link #count(String, String, long, long)}, for values an int holds. */
    public static int count(String text, String what, int min, int max) {
        return (int) count(text, what, (long) min, (long) max);
    }

    /** A decimal number (fraction and exponent allowed; NaN and infinities refused) in [min, max]. */
    public static double decimal(String text, String what, double min, double max) {
        String value = stripped(text);
        if (value.length() > MAX_TEXT || !DECIMAL.matcher(value).matches()) {
            throw new NumberException(what + " " + quote(text) + " is not a number (expected "
                    + range(min, max) + ")");
        }
        double parsed = new BigDecimal(value).doubleValue();
        return finite(parsed, what, min, max, text);
    }

    /** A value that arrived already typed (YAML, JSON, protobuf): finite and in [min, max]. */
    public static double finite(double value, String what, double min, double max) {
        return finite(value, what, min, max, format(value));
    }

    /** An integer that arrived already typed, in [min, max]. */
    public static long within(long value, String what, long min, long max) {
        if (value < min || value > max) {
            throw outOfRange(what, String.valueOf(value), range(min, max));
        }
        return value;
    }

    /** A size with a unit ({@link ByteSizes#parse}), in bytes, in [min, max]. */
    public static long size(String text, String what, long min, long max) {
        long bytes;
        try {
            bytes = ByteSizes.parse(text);
        } catch (IllegalArgumentException e) {
            throw new NumberException(what + ": " + e.getMessage());
        }
        if (bytes < min || bytes > max) {
            throw outOfRange(what, text, ByteSizes.format(min) + " to " + ByteSizes.format(max));
        }
        return bytes;
    }

    /** A bandwidth with a unit ({@link Bandwidths#parse}), in bytes per second, in [min, max]. */
    public static double rate(String text, String what, double min, double max) {
        double bytesPerSecond;
        try {
            bytesPerSecond = Bandwidths.parse(text);
        } catch (IllegalArgumentException e) {
            throw new NumberException(what + ": " + e.getMessage());
        }
        if (!(bytesPerSecond >= min && bytesPerSecond <= max)) {
            throw outOfRange(what, text, Bandwidths.format(min) + " to " + Bandwidths.format(max));
        }
        return bytesPerSecond;
    }

    /** A duration with a unit: 500ms, 30s, 2m, 1h (a bare number is ambiguous and refused), in [min, max]. */
    public static Duration duration(String text, String what, Duration min, Duration max) {
        Matcher matcher = DURATION.matcher(stripped(text));
        if (!matcher.matches()) {
            throw new NumberException(what + " " + quote(text)
                    + " is not a duration with a unit (e.g. 500ms, 30s, 2m, 1h)");
        }
        BigInteger amount = new BigInteger(matcher.group(1));
        BigInteger millisPerUnit;
        switch (matcher.group(2)) {
            case "ms":
                millisPerUnit = BigInteger.ONE;
                break;
            case "s":
                millisPerUnit = BigInteger.valueOf(1_000);
                break;
            case "m":
                millisPerUnit = BigInteger.valueOf(60_000);
                break;
            default:
                millisPerUnit = BigInteger.valueOf(3_600_000);
                break;
        }
        BigInteger millis = amount.multiply(millisPerUnit);
        if (millis.compareTo(BigInteger.valueOf(min.toMillis())) < 0
                || millis.compareTo(BigInteger.valueOf(max.toMillis())) > 0) {
            throw outOfRange(what, text, durationText(min) + " to " + durationText(max));
        }
        return Duration.ofMillis(millis.longValueExact());
    }

    /** "30s", "2m", "500ms": the shortest exact form, as {@link #duration} reads it back. */
    public static String durationText(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 3_600_000 == 0 && millis != 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0 && millis != 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1_000 == 0) {
            return millis / 1_000 + "s";
        }
        return millis + "ms";
    }

    private static double finite(double value, String what, double min, double max, String text) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new NumberException(what + " " + quote(text) + " is not a finite number (expected "
                    + range(min, max) + ")");
        }
        if (value < min || value > max) {
            throw outOfRange(what, text, range(min, max));
        }
        return value;
    }

    private static NumberException outOfRange(String what, String text, String range) {
        return new NumberException(what + " " + quote(text) + " is out of range (expected " + range + ")");
    }

    private static String range(double min, double max) {
        return format(min) + " to " + format(max);
    }

    private static String range(long min, long max) {
        return format(min) + " to " + format(max);
    }

    /** Round numbers the way people write them: 1e15 rather than 1000000000000000. */
    private static String format(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return String.valueOf(value);
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e7) {
            return String.valueOf((long) value);
        }
        if (Math.abs(value) >= 1e7 && value == Math.rint(value)) {
            String exponent = new BigDecimal(value).stripTrailingZeros().toString();
            return exponent.replace("E+", "e");
        }
        return String.format(Locale.ROOT, "%s", value);
    }

    private static String format(long value) {
        if (value == Long.MAX_VALUE || value == Long.MIN_VALUE || Math.abs(value) < 10_000_000) {
            return String.valueOf(value);
        }
        return format((double) value);
    }

    private static String stripped(String text) {
        return text == null ? "" : text.strip();
    }

    /** The value as given, bounded and with control characters shown, so the error is one short line. */
    private static String quote(String text) {
        return text == null ? "(nothing)" : "'" + TerminalText.excerpt(text) + "'";
    }
}
