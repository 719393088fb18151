package dev.preflight.agent;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/** Fixture trees under src/test/resources/fixtures, built from real captured files (see its README). */
public final class Fixtures {
    private Fixtures() {}

    public static Path tree(String scenario) {
        URL url = Fixtures.class.getResource("/fixtures/" + scenario);
        if (url == null) {
            throw new IllegalArgumentException("no fixture tree " + scenario);
        }
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static HostFs hostFs(String scenario) {
        return HostFs.under(tree(scenario));
    }

    /** A writable copy of a fixture tree, for tests that alter or mount over part of it. */
    public static Path copy(String scenario, Path target) throws IOException {
        Path source = tree(scenario);
        try (Stream<Path> paths = Files.walk(source)) {
            paths.forEach(path -> {
                Path destination = target.resolve(source.relativize(path).toString());
                try {
                    if (Files.isDirectory(path)) {
                        Files.createDirectories(destination);
                    } else {
                        Files.copy(path, destination);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        return target;
    }

    public static CheckResult run(Check check, HostFs fs) {
        return new CheckRunner(fs, AgentSettings.builder().build()).runOne(check);
    }
}
