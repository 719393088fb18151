package dev.preflight.proto.units;

import java.util.Locale;

/** Times in microseconds as people read them: 18.0 µs, 4.10 ms. */
public final class Micros {
    private Micros() {}

    public static String format(double us) {
        return us >= 1000 ? String.format(Locale.ROOT, "%.2f ms", us / 1000) : String.format(Locale.ROOT, "%.1f µs", us);
    }
}
