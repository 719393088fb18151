package dev.preflight.coordinator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

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
        Path tree = tree(scenario);
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
