package dev.preflight.proto.units;

import dev.preflight.proto.text.TerminalText;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bandwidths as people type them, always with an explicit unit: bytes (B) or bits (b), decimal
 * prefixes (k, M, G, T: powers of 10, so 1 GB/s = 10^9 bytes per second, as nccl-tests and the
 * InfiniBand rates count) or binary ones (Ki, Mi, Gi, Ti: powers of 2). {@code 25GB/s},
 * {@code 200Gb/s}, {@code 125MB/s}, {@code 1.5 GiB/s}. A bare number is refused: mixing up GB/s
 * and Gb/s is the most common mistake in this field, a factor of 8.
 */
public final class Bandwidths {
    private static final Pattern FORM = Pattern.compile(
            "([0-9]+(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]{1,4})?)\\s*(Ki|Mi|Gi|Ti|k|K|M|G|T)?(B|b|bit)(?:/s|ps)");
    private static final Map<String, Double> PREFIXES = Map.of(
            "k", 1e3, "K", 1e3, "M", 1e6, "G", 1e9, "T", 1e12,
            "Ki", 1024.0, "Mi", 1024.0 * 1024, "Gi", 1024.0 * 1024 * 1024, "Ti", 1024.0 * 1024 * 1024 * 1024);
    public static final String EXPECTED = "a bandwidth with a unit, e.g. 25GB/s, 200Gb/s, 125MB/s "
            + "(B = bytes, b = bits; GB = 10^9 bytes, GiB = 2^30 bytes)";

    private Bandwidths() {}

    /**
     * Bytes per second.
     *
     * @throws IllegalArgumentException naming the value and the expected form
     */
    public static double parse(String text) {
        String value = text == null ? "" : text.strip();
        Matcher matcher = FORM.matcher(value);
        // no real size or rate is written in more than a few dozen characters; a megabyte of digits
        // would cost the big-number parse seconds
        if (value.length() > 64 || !matcher.matches()) {
            throw new IllegalArgumentException("'" + TerminalText.excerpt(text) + "' is not " + EXPECTED);
        }
        double amount = new BigDecimal(matcher.group(1)).doubleValue();
        String prefix = matcher.group(2);
        double multiplier = prefix == null ? 1 : PREFIXES.get(prefix);
        boolean bits = !matcher.group(3).equals("B");
        double bytes = amount * multiplier / (bits ? 8 : 1);
        if (!Double.isFinite(bytes)) {
            throw new IllegalArgumentException("'" + TerminalText.excerpt(text) + "' is out of range");
        }
        return bytes;
    }

    /** Decimal GB/s (MB/s, kB/s below a GB/s), one decimal: "50.0 GB/s", "125.0 MB/s". */
    public static String format(double bytesPerSecond) {
        double magnitude = Math.abs(bytesPerSecond);
        if (magnitude >= 1e9) {
            return String.format(Locale.ROOT, "%.1f GB/s", bytesPerSecond / 1e9);
        }
        if (magnitude >= 1e6) {
            return String.format(Locale.ROOT, "%.1f MB/s", bytesPerSecond / 1e6);
        }
        if (magnitude >= 1e3) {
            return String.format(Locale.ROOT, "%.1f kB/s", bytesPerSecond / 1e3);
        }
        return String.format(Locale.ROOT, "%.0f B/s", bytesPerSecond);
    }

    /** A link rate the way ports state it, in bits: "400 Gb/s" (whole when whole, else one decimal). */
    public static String formatBits(double bytesPerSecond) {
        double gigabits = bytesPerSecond * 8 / 1e9;
        if (Math.abs(gigabits - Math.rint(gigabits)) < 1e-9) {
            return String.format(Locale.ROOT, "%.0f Gb/s", gigabits);
        }
        return String.format(Locale.ROOT, "%.1f Gb/s", gigabits);
    }
}
