package dev.preflight.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.gpu.GpuSources;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.NodeInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeInfoCollectorTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-25T12:00:00Z"), ZoneOffset.UTC);

    private static NodeInfoCollector collector(HostFs fs, String nodeName, boolean hostViews) {
        return new NodeInfoCollector(fs, nodeName, hostViews, new GpuInventoryProbe(fs, GpuSources.defaults(), CLOCK), CLOCK);
    }

    @Test
    void readsIdentityAndSizeThroughTheRoots() throws Exception {
        Path tree = Fixtures.tree("docker-default");
        NodeInfo info = collector(HostFs.under(tree), "", false).collect();
        assertEquals(Files.readString(tree.resolve("proc/sys/kernel/hostname")).strip(), info.getHostname());
        assertEquals(info.getHostname(), info.getNodeName());
        assertEquals(Files.readString(tree.resolve("proc/sys/kernel/random/boot_id")).strip(), info.getBootId());
        assertEquals(Files.readString(tree.resolve("proc/sys/kernel/osrelease")).strip(), info.getKernel());
        assertEquals("Debian GNU/Linux 12 (bookworm)", info.getOs());
        assertTrue(info.getCpuCount() > 0);
        assertTrue(info.getMemoryBytes() > 0);
        assertEquals(Instant.parse("2026-11-25T12:00:00Z").getEpochSecond(), info.getAgentTime().getSeconds());
    }

    @Test
    void theGivenNodeNameWins() {
        NodeInfo info = collector(Fixtures.hostFs("docker-default"), "gpu-07", true).collect();
        assertEquals("gpu-07", info.getNodeName());
        assertTrue(info.getHostViews());
    }

    @Test
    void missingFilesLeaveFieldsEmpty(@TempDir Path empty) {
        NodeInfo info = collector(HostFs.under(empty), "", false).collect();
        assertEquals("", info.getHostname());
        assertEquals(0, info.getCpuCount());
    }

    @Test
    void arm64CpuinfoHasNoModelName() {
        String cpuinfo = "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd4f\n\n"
                + "processor\t: 1\nCPU implementer\t: 0x41\nCPU part\t: 0xd4f\n";
        assertEquals("CPU implementer 0x41 part 0xd4f", NodeInfoCollector.cpuModel(cpuinfo));
        assertEquals(2, NodeInfoCollector.cpuCount(cpuinfo));
    }
}
