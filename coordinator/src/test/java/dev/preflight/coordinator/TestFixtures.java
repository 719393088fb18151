package dev.preflight.coordinator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/** The agent module's fixture trees (real captured /proc and /sys files), found through a system property. */
public final class TestFixtures {
    private TestFixtures() {}

    public static Path tree(String scenario) {
        String root = System.getProperty("preflight.fixtures");
        if (root == null) {
            throw new IllegalStateException("system property preflight.fixtures is not set (see coordinator/pom.xml)");
        }
        Path tree = Paths.get(root, scenario);
        if (!Files.isDirectory(tree)) {
            throw new IllegalArgumentException("no fixture tree " + tree);
        }
        return tree;
    }

    /** The --procfs/--sysfs/--devfs/--rootfs flags that point an agent at a fixture tree. */
    public static List<String> rootFlags(String scenario) {
        return rootFlags(tree(scenario));
    }

    /**
     * A copy of a fixture tree with its own hostname and a fresh boot id: fixture trees were all
     * captured on one machine, and nodes of a cluster must differ in both.
     */
    public static Path distinctNode(String scenario, Path target, String hostname) throws IOException {
        Path source = tree(scenario);
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path destination = target.resolve(source.relativize(path).toString());
                if (Files.isSymbolicLink(path)) {
                    // sysfs is made of links (class/infiniband/mlx5_0 -> ../../devices/...): keep them links
                    Files.createSymbolicLink(destination, Files.readSymbolicLink(path));
                } else if (Files.isDirectory(path)) {
                    Files.createDirectories(destination);
                } else {
                    Files.copy(path, destination);
                }
            }
        }
        Files.writeString(target.resolve("proc/sys/kernel/hostname"), hostname + "\n");
        Files.writeString(target.resolve("proc/sys/kernel/random/boot_id"), UUID.randomUUID() + "\n");
        return target;
    }

    public static List<String> rootFlags(Path tree) {
        List<String> flags = new ArrayList<>();
        flags.add("--procfs");
        flags.add(tree.resolve("proc").toString());
        flags.add("--sysfs");
        flags.add(tree.resolve("sys").toString());
        flags.add("--devfs");
        flags.add(tree.resolve("dev").toString());
        flags.add("--rootfs");
        flags.add(tree.toString());
        return flags;
    }
}
