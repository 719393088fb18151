package dev.preflight.agent.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The real NCCL_DEBUG=INFO logs under test resources nccl-logs/ (origins in its README). */
final class NcclLogs {
    private NcclLogs() {}

    static String text(String name) {
        try (InputStream in = NcclLogs.class.getResourceAsStream("/nccl-logs/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource nccl-logs/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static NcclDebugLog parsed(String name) {
        return NcclDebugLog.parse(text(name));
    }

    static Path path(String name) {
        try {
            return Paths.get(NcclLogs.class.getResource("/nccl-logs/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
