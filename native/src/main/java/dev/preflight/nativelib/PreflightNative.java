package dev.preflight.nativelib;

/** The Java face of libpreflight.so. Public methods load the library, then call private natives. */
public final class PreflightNative {
    private PreflightNative() {}

    /** The version the native library was built as; equals the tool's version in a consistent build. */
    public static String version() {
        NativeLibrary.load();
        return version0();
    }

    private static native String version0();
}
