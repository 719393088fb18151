package dev.preflight.agent.hostfs;

import dev.preflight.agent.check.MalformedInputException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An InfiniBand port's negotiated rate from ports/N/rate: "400 Gb/sec (4X NDR)", "2.5 Gb/sec (1X SDR)",
 * or, from kernels that printed no name for SDR, "10 Gb/sec (4X)" (drivers/infiniband/core/sysfs.c rate_show).
 */
public record IbRate(double gigabitsPerSecond, int width, String speed) {
    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?) Gb/sec \\((\\d+)X(?: ([A-Z0-9]+))?\\)");

    public static IbRate parse(String source, String content) throws MalformedInputException {
        Matcher matcher = RATE.matcher(SysfsValues.value(content));
        if (!matcher.matches()) {
            throw new MalformedInputException(source, content, "a port rate such as '400 Gb/sec (4X NDR)'");
        }
        return new IbRate(Double.parseDouble(matcher.group(1)), Integer.parseInt(matcher.group(2)),
                matcher.group(3) == null ? "" : matcher.group(3));
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
