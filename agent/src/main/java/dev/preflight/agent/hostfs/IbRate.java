package dev.preflight.agent.hostfs;

import dev.preflight.proto.units.Numbers;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An InfiniBand port's negotiated rate from ports/N/rate: "400 Gb/sec (4X NDR)", "2.5 Gb/sec (1X SDR)",
 * or, from kernels that printed no name for SDR, "10 Gb/sec (4X)" (drivers/infiniband/core/sysfs.c rate_show).
 */
public record IbRate(double gigabitsPerSecond, int width, String speed) {
    private static final Pattern RATE = Pattern.compile("(\\d{1,30}(?:\\.\\d{1,30})?) Gb/sec \\((\\d{1,9})X(?: ([A-Z0-9]+))?\\)");

    /** Ten times the fastest port made (XDR 4X, 800 Gb/s); beyond it the file is damaged. */
    static final double MAX_GIGABITS = 10_000;
    /** Ports come in 1X, 2X, 4X, 8X and 12X widths. */
    static final int MAX_WIDTH = 12;

    public static IbRate parse(String source, String content) throws MalformedInputException {
        Matcher matcher = RATE.matcher(SysfsValues.value(content));
        if (!matcher.matches()) {
            throw new MalformedInputException(source, content, "a port rate such as '400 Gb/sec (4X NDR)'");
        }
        try {
            return new IbRate(Numbers.decimal(matcher.group(1), "rate", 0, MAX_GIGABITS),
                    Numbers.count(matcher.group(2), "width", 1, MAX_WIDTH), matcher.group(3) == null ? "" : matcher.group(3));
        } catch (Numbers.NumberException e) {
            throw new MalformedInputException(source, content, "a port rate of at most " + (long) MAX_GIGABITS
                    + " Gb/sec over 1X to " + MAX_WIDTH + "X");
        }
    }

    /** Bytes per second on the wire (1 GB = 10^9 bytes), the unit the interconnect classes use. */
    public double bytesPerSecond() {
        return gigabitsPerSecond * 1e9 / 8;
    }

    @Override
    public String toString() {
        String rate = gigabitsPerSecond == Math.rint(gigabitsPerSecond)
                ? String.valueOf((long) gigabitsPerSecond)
                : String.format(Locale.ROOT, "%s", gigabitsPerSecond);
        return rate + " Gb/sec (" + width + "X" + (speed.isEmpty() ? "" : " " + speed) + ")";
    }
}
