package dev.preflight.proto.units;

import dev.preflight.proto.text.TerminalText;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte counts as people read them, in binary units (KiB = 1024 bytes, GiB = 2^30 bytes), and as
 * people type them: {@link #parse} takes decimal (k, M, G, T: powers of 10) and binary (Ki, Mi, Gi,
 * Ti) prefixes, with or without a trailing B.
 */
public final class ByteSizes {
    public static final long KIB = 1024L;
    public static final long MIB = KIB * 1024;
    public static final long GIB = MIB * 1024;
    public static final long TIB = GIB * 1024;

    public static final String EXPECTED = "a size with a unit, e.g. 80GB, 80GiB, 256MiB, 64k "
            + "(GB = 10^9 bytes, GiB = 2^30 bytes)";

    private static final Pattern FORM = Pattern.compile("([0-9]+(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]{1,4})?)\\s*(?:(Ki|Mi|Gi|Ti|k|K|M|G|T|P)B?|B)");
    private static final Map<String, BigDecimal> PREFIXES = Map.of(
            "k", BigDecimal.valueOf(1_000L), "K", BigDecimal.valueOf(1_000L), "M", BigDecimal.valueOf(1_000_000L),
            "G", BigDecimal.valueOf(1_000_000_000L), "T", BigDecimal.valueOf(1_000_000_000_000L),
            "P", BigDecimal.valueOf(1_000_000_000_000_000L),
            "Ki", BigDecimal.valueOf(KIB), "Mi", BigDecimal.valueOf(MIB), "Gi", BigDecimal.valueOf(GIB),
            "Ti", BigDecimal.valueOf(TIB));

    private ByteSizes() {}

    /**
     * Bytes, rounded to the nearest byte. A bare number is refused: "80" could be GB or GiB.
     *
     * @throws IllegalArgumentException naming the value and the expected form
     */
    public static long parse(String text) {
        String value = text == null ? "" : text.strip();
        Matcher matcher = FORM.matcher(value);
        // no real size or rate is written in more than a few dozen characters; a megabyte of digits
        // would cost the big-number parse seconds
        if (value.length() > 64 || !matcher.matches()) {
            throw new IllegalArgumentException("'" + TerminalText.excerpt(text) + "' is not " + EXPECTED);
        }
        BigDecimal amount = new BigDecimal(matcher.group(1));
        String prefix = matcher.group(2);
        BigDecimal bytes = prefix == null ? amount : amount.multiply(PREFIXES.get(prefix));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + TerminalText.excerpt(text) + "' is out of range");
        }
        return bytes.setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** Decimal units, as model weights and GPU memory are quoted: "140.0 GB", "1.3 TB", "512 B". */
    public static String formatDecimal(long bytes) {
        double value = bytes;
        if (Math.abs(value) >= 1e12) {
            return String.format(Locale.ROOT, "%.1f TB", value / 1e12);
        }
        if (Math.abs(value) >= 1e9) {
            return String.format(Locale.ROOT, "%.1f GB", value / 1e9);
        }
        if (Math.abs(value) >= 1e6) {
            return String.format(Locale.ROOT, "%.1f MB", value / 1e6);
        }
        if (Math.abs(value) >= 1e3) {
            return String.format(Locale.ROOT, "%.1f kB", value / 1e3);
        }
        return bytes + " B";
    }

    /** "8 MiB", "64 KiB", "1.5 GiB", "512 B": exact when whole, else one decimal. */
    public static String format(long bytes) {
        if (bytes < 0) {
            return bytes + " B";
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        if (value == Math.rint(value)) {
            return String.format(Locale.ROOT, "%d %s", (long) value, units[unit]);
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
