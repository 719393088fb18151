package dev.preflight.agent.node;

import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.ToolVersion;
import dev.preflight.proto.v1.NodeInfo;
import com.google.protobuf.Timestamp;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * The node's identity and size, read through the movable roots. A missing or unreadable file
 * leaves its field empty: node info is for identification, the checks judge.
 */
public final class NodeInfoCollector {
    /**
     * Node info must answer within the coordinator's connect timeout (10 s by default): a GPU
     * inventory not ready by then (a hung driver) is left out here and still judged by the gpu.* checks.
     */
    public static final Duration GPU_INVENTORY_WAIT = Duration.ofSeconds(5);

    private final HostFs fs;
    private final String nodeName;
    private final boolean hostViews;
    private final GpuInventoryProbe gpuInventory;
    private final Clock clock;

    /**
     * @param nodeName the name to report; empty means "the hostname"
     * @param hostViews host-scoped facts come from the host's views mounted into a DaemonSet pod
     */
    public NodeInfoCollector(HostFs fs, String nodeName, boolean hostViews, GpuInventoryProbe gpuInventory, Clock clock) {
        this.fs = fs;
        this.nodeName = nodeName;
        this.hostViews = hostViews;
        this.gpuInventory = gpuInventory;
        this.clock = clock;
    }

    public NodeInfo collect() {
        NodeInfo.Builder info = NodeInfo.newBuilder()
                .setAgentVersion(ToolVersion.get())
                .setHostViews(hostViews);
        String hostname = firstLine(fs.proc("sys/kernel/hostname")).orElse("");
        info.setHostname(hostname);
        info.setNodeName(nodeName.isEmpty() ? hostname : nodeName);
        firstLine(fs.proc("sys/kernel/random/boot_id")).ifPresent(info::setBootId);
        firstLine(fs.proc("sys/kernel/osrelease")).ifPresent(info::setKernel);
        read(fs.root("/etc/os-release")).or(() -> read(fs.root("/usr/lib/os-release")))
                .flatMap(NodeInfoCollector::prettyName)
                .ifPresent(info::setOs);
        read(fs.proc("cpuinfo")).ifPresent(cpuinfo -> {
            info.setCpuModel(cpuModel(cpuinfo));
            info.setCpuCount(cpuCount(cpuinfo));
        });
        read(fs.proc("meminfo")).flatMap(NodeInfoCollector::memTotalBytes).ifPresent(info::setMemoryBytes);
        try {
            gpuInventory.inventory(GPU_INVENTORY_WAIT).ifPresent(info::setGpuInventory);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Instant now = clock.instant();
        info.setAgentTime(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
        return info.build();
    }

    static Optional<String> prettyName(String osRelease) {
        for (String line : osRelease.split("\n")) {
            if (line.startsWith("PRETTY_NAME=")) {
                String value = line.substring("PRETTY_NAME=".length()).strip();
                if (value.length() >= 2 && (value.startsWith("\"") || value.startsWith("'"))
                        && value.charAt(value.length() - 1) == value.charAt(0)) {
                    value = value.substring(1, value.length() - 1);
                }
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }

    /** x86 says "model name"; arm64 kernels print no model name, only implementer and part numbers. */
    static String cpuModel(String cpuinfo) {
        String implementer = null;
        String part = null;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            if (key.equals("model name")) {
                return value;
            }
            if (key.equals("cpu implementer") && implementer == null) {
                implementer = value;
            }
            if (key.equals("cpu part") && part == null) {
                part = value;
            }
        }
        return implementer == null ? "" : "CPU implementer " + implementer + " part " + part;
    }

    static int cpuCount(String cpuinfo) {
        int count = 0;
        for (String line : cpuinfo.split("\n")) {
            if (line.startsWith("processor") && line.contains(":")) {
                count++;
            }
        }
        return count;
    }

    static Optional<Long> memTotalBytes(String meminfo) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("MemTotal:")) {
                String[] fields = line.substring("MemTotal:".length()).strip().split("\\s+");
                try {
                    return Optional.of(Long.parseLong(fields[0]) * 1024);
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> firstLine(Path path) {
        return read(path).map(content -> content.strip().split("\n", 2)[0]);
    }

    private static Optional<String> read(Path path) {
        try {
            return Optional.of(HostFs.readText(path));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
