package dev.preflight.agent.hostfs;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCIe link speed from current_link_speed / max_link_speed. Kernels since 5.7 print the speed
 * table of drivers/pci/probe.c ("32.0 GT/s PCIe"); older ones printed "8 GT/s" or "2.5 GT/s";
 * "Unknown" means the link is not trained or the device is not PCIe.
 */
public record PcieLinkSpeed(double gigatransfersPerSecond) {
    private static final Pattern SPEED = Pattern.compile("(\\d+(?:\\.\\d+)?) GT/s(?: PCIe)?");

    /** Empty for "Unknown". */
    public static Optional<PcieLinkSpeed> parse(String source, String content) throws MalformedInputException {
        String value = SysfsValues.value(content);
        if (value.equals("Unknown") || value.equals("Unknown speed")) {
            return Optional.empty();
        }
        Matcher matcher = SPEED.matcher(value);
        if (!matcher.matches()) {
            throw new MalformedInputException(source, content, "a link speed such as '32.0 GT/s PCIe' or 'Unknown'");
        }
        return Optional.of(new PcieLinkSpeed(Double.parseDouble(matcher.group(1))));
    }

    /** PCIe generation: 2.5 GT/s is Gen1, doubling since Gen3 (8 GT/s). */
    public int generation() {
        if (gigatransfersPerSecond <= 2.5) {
            return 1;
        }
        if (gigatransfersPerSecond <= 5) {
            return 2;
        }
        int generation = 3;
        double speed = 8;
        while (gigatransfersPerSecond > speed && generation < 7) {
            speed *= 2;
            generation++;
        }
        return generation;
    }

    @Override
    public String toString() {
        String value = gigatransfersPerSecond == Math.rint(gigatransfersPerSecond)
                ? String.valueOf((long) gigatransfersPerSecond) : String.valueOf(gigatransfersPerSecond);
        return value + " GT/s (Gen" + generation() + ")";
    }
}
