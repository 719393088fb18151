package dev.preflight.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads libpreflight.so once per JVM: from the path in the {@value #PATH_PROPERTY} system property
 * when set, else extracted from this jar into a private temporary directory. Errors name exactly
 * what is missing.
 */
public final class NativeLibrary {
    /** Explicit path to libpreflight.so; skips extraction from the jar. */
    public static final String PATH_PROPERTY = "preflight.native.path";

    private static final String LIBRARY_FILE = "libpreflight.so";

    private static volatile Throwable loadFailure;
    private static volatile boolean loaded;

    private NativeLibrary() {}

    /** The platform directory inside the jar, e.g. linux-amd64. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return (os.startsWith("linux") ? "linux" : os.replace(' ', '_')) + "-" + arch;
    }

    /**
     * Loads the library, or throws {@link UnsatisfiedLinkError} saying what could not be found.
     * A failed load is remembered: later calls throw the same error without retrying.
     */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        if (loadFailure != null) {
            throw linkError(loadFailure.getMessage(), loadFailure);
        }
        try {
            System.load(locate().toAbsolutePath().toString());
            loaded = true;
        } catch (UnsatisfiedLinkError | IOException | RuntimeException e) {
            loadFailure = e;
            throw linkError(e.getMessage(), e);
        }
    }

    private static UnsatisfiedLinkError linkError(String message, Throwable cause) {
        UnsatisfiedLinkError error = new UnsatisfiedLinkError("cannot load the preflight native library: " + message);
        error.initCause(cause);
        return error;
    }

    private static Path locate() throws IOException {
        String explicit = System.getProperty(PATH_PROPERTY);
        if (explicit != null && !explicit.isBlank()) {
            Path path = Paths.get(explicit);
            if (!Files.isRegularFile(path)) {
                throw new IOException(PATH_PROPERTY + "=" + explicit + " is not a file");
            }
            return path;
        }
        String resource = platform() + "/" + LIBRARY_FILE;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no " + LIBRARY_FILE + " for platform " + platform()
                        + " in the jar (resource dev/preflight/nativelib/" + resource
                        + "); set -D" + PATH_PROPERTY + "=/path/to/" + LIBRARY_FILE);
            }
            Path dir = Files.createTempDirectory("preflight-native-");
            Path target = dir.resolve(LIBRARY_FILE);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            target.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return target;
        }
    }
}
