package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** NCCL's PCIe path types and its RoCE GID auto-selection, as pure rules. */
class PathTypeAndGidRulesTest {
    static PciTopology.Function at(String rootComplex, int numa, String... chain) {
        return new PciTopology.Function(chain[chain.length - 1], rootComplex, List.of(chain), 0x10de, 0x2901, 0x030200, numa);
    }

    @Test
    void pathTypesFollowNcclsTwoLevelClimb() {
        // one switch: GPU and NIC under two downstream ports of one upstream port
        PciTopology.Function gpu = at("pci0000:17", 0, "0000:16:01.0", "0000:17:00.0", "0000:18:00.0", "0000:19:00.0");
        PciTopology.Function nic = at("pci0000:17", 0, "0000:16:01.0", "0000:17:00.0", "0000:18:01.0", "0000:1a:00.0");
        assertEquals(PathType.PIX, PciTopology.distance(gpu, nic));
        // HGX B200: the GPU sits two switch levels further down (lspci -PP of NVIDIA's gpu-admin-tools)
        PciTopology.Function b200 = at("pci0000:15", 0, "0000:15:01.0", "0000:16:00.0", "0000:17:02.0", "0000:19:00.0",
                "0000:1a:00.0", "0000:1b:00.0");
        PciTopology.Function cx7 = at("pci0000:15", 0, "0000:15:01.0", "0000:16:00.0", "0000:17:00.0", "0000:18:00.0");
        assertEquals(PathType.PXB, PciTopology.distance(b200, cx7));
        PciTopology.Function otherRootSameSocket = at("pci0000:3d", 0, "0000:3d:01.0", "0000:3e:00.0", "0000:3f:00.0", "0000:40:00.0");
        assertEquals(PathType.PHB, PciTopology.distance(b200, otherRootSameSocket));
        PciTopology.Function otherSocket = at("pci0000:97", 1, "0000:97:01.0", "0000:98:00.0", "0000:99:00.0", "0000:9a:00.0");
        assertEquals(PathType.SYS, PciTopology.distance(b200, otherSocket));
        // two devices under the same root port but no switch meet at the CPU
        PciTopology.Function a = at("pci0000:00", 0, "0000:00:01.0", "0000:01:00.0");
        PciTopology.Function b = at("pci0000:00", 0, "0000:00:02.0", "0000:02:00.0");
        assertEquals(PathType.PHB, PciTopology.distance(a, b));
    }

    static RoceGids.Gid gid(int index, String text, String type) throws Exception {
        return new RoceGids.Gid(index, RoceGids.parse("gid", text), text, type, type.isEmpty() ? "" : "bond0");
    }

    static final String ZERO = "0000:0000:0000:0000:0000:0000:0000:0000";

    @Test
    void ncclPicksTheRoceV2Ipv4EntryAndFallsBackToIndexZero() throws Exception {
        // show_gids of mlx5_bond_0 over bond0 (10.96.83.26): v1 and v2 link-local, then v1 and v2 IPv4
        List<RoceGids.Gid> table = new ArrayList<>(List.of(
                gid(0, "fe80:0000:0000:0000:0e42:a1ff:fead:479a", "IB/RoCE v1"),
                gid(1, "fe80:0000:0000:0000:0e42:a1ff:fead:479a", "RoCE v2"),
                gid(2, "0000:0000:0000:0000:0000:ffff:0a60:531a", "IB/RoCE v1"),
                gid(3, "0000:0000:0000:0000:0000:ffff:0a60:531a", "RoCE v2"),
                gid(4, ZERO, "")));
        assertEquals(3, RoceGids.ncclAutoIndex(table, true, 2, Optional.empty()));
        assertEquals(2, RoceGids.ncclAutoIndex(table, true, 1, Optional.empty()));
        assertEquals(1, RoceGids.ncclAutoIndex(table, false, 2, Optional.empty()));
        assertEquals(0, RoceGids.ncclAutoIndex(table, true, 2, Optional.of("192.168.0.0/16")), "no GID in range");
        assertEquals(3, RoceGids.ncclAutoIndex(table, true, 2, Optional.of("10.96.0.0/16")));
        assertEquals("10.96.83.26", table.get(3).ipv4().orElseThrow());
        // the second device of the same capture: only link-local GIDs, so NCCL stays at index 0
        List<RoceGids.Gid> linkLocal = List.of(gid(0, "fe80:0000:0000:0000:0ac0:ebff:fe8c:3b44", "IB/RoCE v1"),
                gid(1, "fe80:0000:0000:0000:0ac0:ebff:fe8c:3b44", "RoCE v2"));
        assertEquals(0, RoceGids.ncclAutoIndex(linkLocal, true, 2, Optional.empty()));
    }
}
