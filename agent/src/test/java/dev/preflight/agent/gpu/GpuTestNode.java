package dev.preflight.agent.gpu;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;

/**
 * A node's roots laid out in a temporary directory for GPU tests: the PCI bus in sysfs from a
 * fixture table (fixtures/gpu/pci-*.tsv, values of real captures), plus whatever a test adds.
 */
public final class GpuTestNode {
    private final Path root;

    public GpuTestNode(Path root) throws IOException {
        this.root = root;
        Files.createDirectories(root.resolve("proc"));
        Files.createDirectories(root.resolve("dev"));
        Files.createDirectories(root.resolve("sys/bus/pci/devices"));
    }

    /** The devices of a fixture table under sys/bus/pci/devices, bound to {@code driver} unless it is empty. */
    public GpuTestNode pciBus(String table, String driver) throws IOException {
        Path drivers = root.resolve("sys/bus/pci/drivers");
        for (String line : Files.readAllLines(Fixtures.tree("gpu").resolve(table), StandardCharsets.UTF_8)) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] f = line.split("\t");
            Path device = root.resolve("sys/bus/pci/devices").resolve(f[0]);
            Files.createDirectories(device);
            write(device.resolve("vendor"), f[1]);
            write(device.resolve("device"), f[2]);
            write(device.resolve("class"), f[3]);
            write(device.resolve("current_link_speed"), f[4]);
            write(device.resolve("max_link_speed"), f[5]);
            write(device.resolve("current_link_width"), f[6]);
            write(device.resolve("max_link_width"), f[7]);
            if (!driver.isEmpty() && f[1].equals("0x10de")) {
                Files.createDirectories(drivers.resolve(driver));
                Files.createSymbolicLink(device.resolve("driver"), drivers.resolve(driver));
            }
        }
        return this;
    }

    public GpuTestNode file(String relative, String content) throws IOException {
        Path path = root.resolve(relative);
        Files.createDirectories(path.getParent());
        write(path, content);
        return this;
    }

    /** The fake nvidia-smi script, copied out of the class path with its execute bit. */
    public Path fakeNvidiaSmi() throws IOException {
        Path script = root.resolve("bin/nvidia-smi");
        Files.createDirectories(script.getParent());
        Files.copy(Fixtures.tree("gpu").resolve("fake-nvidia-smi.sh"), script, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    public HostFs fs() {
        return HostFs.under(root);
    }

    public static Path fixture(String name) {
        return Fixtures.tree("gpu").resolve(name);
    }

    public static CheckResult run(Check check, HostFs fs, CheckSettings settings, GpuSources sources) {
        return new CheckRunner(fs, settings, new GpuInventoryProbe(fs, sources, Clock.systemUTC())).runOne(check);
    }

    public static List<CheckResult> runAll(List<Check> checks, HostFs fs, CheckSettings settings, GpuSources sources) {
        return new CheckRunner(fs, settings, new GpuInventoryProbe(fs, sources, Clock.systemUTC()))
                .run(checks, CheckRunner.SILENT, () -> false);
    }

    private static void write(Path path, String content) throws IOException {
        Files.write(path, (content + "\n").getBytes(StandardCharsets.UTF_8));
    }
}
