package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Objects;

/**
 * The node's filesystems seen through movable roots, the way node_exporter's --path.* flags work:
 * every /proc, /sys, /dev and / read goes through here, so a test (or a DaemonSet mounting the
 * host's views under /host) points the agent at another tree.
 */
public final class HostFs {
    private final Path procfs;
    private final Path sysfs;
    private final Path devfs;
    private final Path rootfs;

    public HostFs(Path procfs, Path sysfs, Path devfs, Path rootfs) {
        this.procfs = Objects.requireNonNull(procfs, "procfs");
        this.sysfs = Objects.requireNonNull(sysfs, "sysfs");
        this.devfs = Objects.requireNonNull(devfs, "devfs");
        this.rootfs = Objects.requireNonNull(rootfs, "rootfs");
    }

    public static HostFs defaults() {
        return new HostFs(Paths.get("/proc"), Paths.get("/sys"), Paths.get("/dev"), Paths.get("/"));
    }

    /** A tree laid out like a real root: &lt;root&gt;/proc, &lt;root&gt;/sys, &lt;root&gt;/dev. */
    public static HostFs under(Path root) {
        return new HostFs(root.resolve("proc"), root.resolve("sys"), root.resolve("dev"), root);
    }

    public Path procfs() {
        return procfs;
    }

    public Path sysfs() {
        return sysfs;
    }

    public Path devfs() {
        return devfs;
    }

    public Path rootfs() {
        return rootfs;
    }

    public Path proc(String relative) {
        return procfs.resolve(relative);
    }

    public Path sys(String relative) {
        return sysfs.resolve(relative);
    }

    public Path dev(String relative) {
        return devfs.resolve(relative);
    }

    /** A path of the root filesystem; "/etc/os-release" and "etc/os-release" mean the same file. */
    public Path root(String absolute) {
        String relative = absolute.startsWith("/") ? absolute.substring(1) : absolute;
        return rootfs.resolve(relative);
    }

    /**
     * Reads a whole text file through {@link BoundedFile} with the limits for host files. Kernel
     * values are ASCII; a stray non-UTF-8 byte (a process name, a vendor string) becomes U+FFFD
     * rather than costing the check the whole value.
     */
    public static String readText(Path path) throws IOException {
        return new String(BoundedFile.readBytes(path, BoundedFile.HOST), StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "procfs=" + procfs + " sysfs=" + sysfs + " devfs=" + devfs + " rootfs=" + rootfs;
    }
}
