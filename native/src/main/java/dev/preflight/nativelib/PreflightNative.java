package dev.preflight.nativelib;

import java.io.IOException;

/** The Java face of libpreflight.so. Public methods load the library, then call private natives. */
public final class PreflightNative {
    private PreflightNative() {}

    /** The version the native library was built as; equals the tool's version in a consistent build. */
    public static String version() {
        NativeLibrary.load();
        return version0();
    }

    /**
     * Moves this process's stdout aside for a private channel: file descriptor 1 becomes a copy of
     * stderr, so whatever native libraries print goes to the log and never into the channel.
     *
     * @return the file descriptor that now holds the original stdout
     */
    public static int detachStdout() throws IOException {
        NativeLibrary.load();
        int fd = detachStdout0();
        if (fd < 0) {
            throw new IOException("cannot move stdout aside: errno " + -fd);
        }
        return fd;
    }

    private static native String version0();

    private static native int detachStdout0();
}
