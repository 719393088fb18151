package dev.preflight.proto.units;

import java.util.Locale;

/** Byte counts as people read them, in binary units (KiB = 1024 bytes, GiB = 2^30 bytes). */
public final class ByteSizes {
    public static final long KIB = 1024L;
    public static final long MIB = KIB * 1024;
    public static final long GIB = MIB * 1024;
    public static final long TIB = GIB * 1024;

    private ByteSizes() {}

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
