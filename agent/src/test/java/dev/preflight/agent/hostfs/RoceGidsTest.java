package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The GID table of the captured RoCE bond. */
class RoceGidsTest {
    @Test
    void theBondsTableAndNcclsOwnPick() throws Exception {
        HostFs fs = Fixtures.hostFs("roce-bond");
        RdmaPort port = RdmaDevices.ports(RdmaDevices.read(HostReader.unrecorded(fs), Optional.empty())).get(0);
        assertEquals("mlx5_bond_0:1", port.id());
        EvidenceLog log = new EvidenceLog(fs);
        List<RoceGids.Gid> table = RoceGids.read(log, port);
        RoceGids.Gid third = table.get(3);
        assertEquals(3, third.index());
        assertEquals(Optional.of("10.96.83.26"), third.ipv4());
        assertEquals(2, third.roceVersion());
        assertEquals(1, table.get(0).roceVersion());
        assertTrue(table.get(0).linkLocal());
        assertEquals(3, RoceGids.ncclAutoIndex(table, true, 2, Optional.empty()));
        // Empty entries are counted in one line rather than recorded one by one.
        assertTrue(log.lines.get(log.lines.size() - 1).matches(".*gids = \\d+ entries, \\d+ empty"), log.lines.toString());
    }
}
