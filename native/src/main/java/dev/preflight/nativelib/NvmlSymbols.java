package dev.preflight.nativelib;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Asks the dynamic linker whether a shared library exports a function, without calling it. The
 * NVML binding resolves functions lazily, so a function the running driver's libnvidia-ml.so.1
 * lacks would end the process at its first call; callers ask here first.
 */
public final class NvmlSymbols {
    /** The driver's NVML, by its soname (the unversioned name exists only with development packages). */
    public static final String NVML_LIBRARY = "libnvidia-ml.so.1";

    private static final Pattern C_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
    private static final Pattern LIBRARY_NAME = Pattern.compile("[A-Za-z0-9_.+/-]{1,4096}");

    private NvmlSymbols() {}

    /**
     * Whether {@code library} exports {@code symbol}.
     *
     * @throws UnsatisfiedLinkError when the library (or libpreflight.so) cannot be loaded, with the
     *     dynamic linker's reason
     * @throws IllegalArgumentException when a name is not a plain library path or C identifier
     */
    public static boolean has(String library, String symbol) {
        Objects.requireNonNull(library, "library");
        Objects.requireNonNull(symbol, "symbol");
        if (!LIBRARY_NAME.matcher(library).matches()) {
            throw new IllegalArgumentException("not a library name: '" + library + "'");
        }
        if (!C_IDENTIFIER.matcher(symbol).matches()) {
            throw new IllegalArgumentException("not a C function name: '" + symbol + "'");
        }
        NativeLibrary.load();
        return has0(library, symbol);
    }

    private static native boolean has0(String library, String symbol);
}
