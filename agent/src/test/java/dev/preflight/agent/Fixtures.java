package dev.preflight.agent;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.gpu.GpuSources;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.net.NameResolver;
import dev.preflight.proto.v1.CheckResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Fixture trees under src/test/fixtures, built from real captured files (see its README).
 * Trees are read from the source directory, not the build's copy: sysfs is made of symbolic links
 * (a PCI function's place in the tree is its link's target), and resource copying flattens them.
 */
public final class Fixtures {
    /** A resolver for tests: names not in the fixture's /etc/hosts do not resolve (no DNS in tests). */
    public static final NameResolver NO_DNS = name -> {
        throw new UnknownHostException(name + " (tests use no DNS)");
    };

    private Fixtures() {}

    public static Path root() {
        try {
            Path classes = Paths.get(Fixtures.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // target/test-classes -> the module's src/test/fixtures: read in place, never copied, as the
            // trees are made of symbolic links (as sysfs is) that resource copying would follow round their cycles
            return classes.getParent().getParent().resolve("src/test/fixtures");
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path tree(String scenario) {
        Path tree = root().resolve(scenario);
        if (!Files.isDirectory(tree)) {
            throw new IllegalArgumentException("no fixture tree " + scenario + " under " + root());
        }
        return tree;
    }

    public static HostFs hostFs(String scenario) {
        return HostFs.under(tree(scenario));
    }

    /** Settings for tests: no NCCL variable from the test's own environment, no DNS. */
    public static CheckSettings.Builder settings() {
        return CheckSettings.builder().ncclEnv(Map.of()).resolver(NO_DNS);
    }

    /** A writable copy of a fixture tree, symbolic links kept as links, for tests that alter part of it. */
    public static Path copy(String scenario, Path target) throws IOException {
        Path source = tree(scenario);
        try (Stream<Path> paths = Files.walk(source)) {
            paths.forEach(path -> {
                Path destination = target.resolve(source.relativize(path).toString());
                try {
                    if (Files.isSymbolicLink(path)) {
                        Files.createDirectories(destination.getParent());
                        Files.createSymbolicLink(destination, Files.readSymbolicLink(path));
                    } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
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
        return run(check, fs, settings().build());
    }

    public static CheckResult run(Check check, HostFs fs, CheckSettings settings) {
        return new CheckRunner(fs, settings, new GpuInventoryProbe(fs, GpuSources.defaults(), Clock.systemUTC())).runOne(check);
    }
}
