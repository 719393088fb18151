package dev.preflight.coordinator.cli;

import dev.preflight.agent.hostfs.HostFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The movable roots every agent read goes through (node_exporter's --path.* flags). */
public final class HostFsOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--procfs", paramLabel = "DIR", description = "Where /proc is (default: /proc).")
    Path procfs;

    @Option(names = "--sysfs", paramLabel = "DIR", description = "Where /sys is (default: /sys).")
    Path sysfs;

    @Option(names = "--devfs", paramLabel = "DIR", description = "Where /dev is (default: /dev).")
    Path devfs;

    @Option(names = "--rootfs", paramLabel = "DIR", description = "Where the root filesystem is (default: /).")
    Path rootfs;

    boolean anyGiven() {
        return procfs != null || sysfs != null || devfs != null || rootfs != null;
    }

    /** The roots, each checked to be a directory; a bad one is a usage error naming the flag and path. */
    HostFs toHostFs() {
        return new HostFs(
                directory("--procfs", procfs, "/proc"),
                directory("--sysfs", sysfs, "/sys"),
                directory("--devfs", devfs, "/dev"),
                directory("--rootfs", rootfs, "/"));
    }

    private Path directory(String flag, Path given, String fallback) {
        Path path = given == null ? Paths.get(fallback) : given;
        if (!Files.isDirectory(path)) {
            throw new ParameterException(spec.commandLine(), flag + " " + path + ": not a directory");
        }
        return path;
    }
}
