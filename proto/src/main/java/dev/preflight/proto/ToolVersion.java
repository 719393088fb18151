package dev.preflight.proto;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The tool's version, as the build stamped it. */
public final class ToolVersion {
    private static final String VERSION = load();

    private ToolVersion() {}

    public static String get() {
        return VERSION;
    }

    private static String load() {
        try (InputStream in = ToolVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("dev/preflight/proto/version.properties missing from the class path");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("reading dev/preflight/proto/version.properties", e);
        }
    }
}
