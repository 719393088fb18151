package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The interfaces of the 8-GPU capture, in the order NCCL sees them. */
class NetInterfacesTest {
    @Test
    void interfacesAreInIfindexOrder() throws Exception {
        HostFs fs = Fixtures.hostFs("hgx-8gpu-cx7-ndr");
        List<NetInterface> interfaces = NetInterfaces.read(HostReader.unrecorded(fs), "self");
        assertEquals(List.of("lo", "eno1", "bond0", "docker0", "ibp24s0", "ibp64s0", "ibp79s0", "ibp94s0", "ibp154s0",
                "ibp192s0", "ibp206s0", "ibp220s0"), interfaces.stream().map(NetInterface::name).toList());
        NetInterface ib = NetInterfaces.named(interfaces, "ibp24s0").orElseThrow();
        assertEquals(4092, ib.mtu());
        assertTrue(ib.running());
        assertTrue(NetInterfaces.named(interfaces, "lo").orElseThrow().suspicious().isPresent());
    }

    /** Issue 14 point 10: a missing ifindex orders the interface last instead of losing the list. */
    @Test
    void anInterfaceWithoutIfindexSortsLast(@TempDir Path root) throws Exception {
        Fixtures.copy("hgx-8gpu-cx7-ndr", root);
        Files.delete(root.resolve("sys/class/net/eno1/ifindex"));
        EvidenceLog log = new EvidenceLog(HostFs.under(root));
        List<NetInterface> interfaces = NetInterfaces.read(log, "self");
        assertEquals("eno1", interfaces.get(interfaces.size() - 1).name());
        assertEquals(12, interfaces.size());
        assertTrue(log.lines.stream().anyMatch(line -> line.contains("eno1/ifindex = (not used")), log.lines.toString());
    }
}
