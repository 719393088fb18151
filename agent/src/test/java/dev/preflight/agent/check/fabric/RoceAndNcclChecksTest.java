package dev.preflight.agent.check.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Fact;
import dev.preflight.proto.v1.RecommendedNcclSetting;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fabric.roce_gid, fabric.roce_qos, fabric.socket_ifname and fabric.nccl_env. */
class RoceAndNcclChecksTest {
    private static final String BOND = "roce-bond";
    private static final String NODE = "hgx-8gpu-cx7-ndr";

    static CheckSettings env(Map<String, String> nccl) {
        return Fixtures.settings().ncclEnv(nccl).build();
    }

    @Test
    void ncclsOwnPickOnTheBondIsTheRoceV2Ipv4Gid() {
        CheckResult result = Fixtures.run(new RoceGidCheck(), Fixtures.hostFs(BOND));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getObserved().contains("mlx5_bond_0:1 [0: fe80:0000:0000:0000:0e42:a1ff:fead:479a IB/RoCE v1 bond0, "
                + "1: fe80:0000:0000:0000:0e42:a1ff:fead:479a RoCE v2 bond0, 2: ::ffff:10.96.83.26 IB/RoCE v1 bond0, "
                + "3: ::ffff:10.96.83.26 RoCE v2 bond0] uses 3 (NCCL's own pick)"), result.getObserved());
        assertTrue(result.getFactsList().contains(Fact.newBuilder().setName("roce_gid_index").setValue("3").setSubject("mlx5_bond_0:1").build()));
        assertTrue(result.getEvidenceList().stream().anyMatch(e -> e.getValue().equals("255 entries, 251 empty")));
    }

    @Test
    void aGidIndexOnTheV1EntryWarnsAndFailsWhenNcclIbHcaNeedsThePort() {
        CheckResult unneeded = Fixtures.run(new RoceGidCheck(), Fixtures.hostFs(BOND), env(Map.of("NCCL_IB_GID_INDEX", "2")));
        assertEquals(Status.WARN, unneeded.getStatus(), unneeded.toString());
        assertTrue(unneeded.getSummary().contains("NCCL_IB_GID_INDEX=2 is 2: ::ffff:10.96.83.26 IB/RoCE v1 bond0, RoCE v1"),
                unneeded.getSummary());
        CheckResult needed = Fixtures.run(new RoceGidCheck(), Fixtures.hostFs(BOND),
                env(Map.of("NCCL_IB_GID_INDEX", "0", "NCCL_IB_HCA", "=mlx5_bond_0")));
        assertEquals(Status.FAIL, needed.getStatus(), needed.toString());
    }

    @Test
    void withOnlyLinkLocalGidsNcclStaysAtIndexZero(@TempDir Path root) throws Exception {
        Fixtures.copy(BOND, root);
        Path port = root.resolve("sys/class/infiniband/mlx5_bond_0/ports/1");
        for (int index : new int[] {2, 3}) {
            Files.writeString(port.resolve("gids/" + index), "0000:0000:0000:0000:0000:0000:0000:0000\n");
            Files.delete(port.resolve("gid_attrs/types/" + index));
            Files.delete(port.resolve("gid_attrs/ndevs/" + index));
        }
        CheckResult result = Fixtures.run(new RoceGidCheck(), HostFs.under(root));
        assertEquals(Status.WARN, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("NCCL's own pick is 0: fe80:0000:0000:0000:0e42:a1ff:fead:479a IB/RoCE v1"),
                result.getSummary());
        Files.writeString(port.resolve("gids/1"), "fe80::1\n");
        CheckResult malformed = Fixtures.run(new RoceGidCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, malformed.getStatus());
        assertTrue(malformed.getSummary().contains("gids/1") && malformed.getSummary().contains("fe80::1"), malformed.getSummary());
    }

    @Test
    void infinibandNeedsNoGid() {
        assertEquals(Status.SKIP, Fixtures.run(new RoceGidCheck(), Fixtures.hostFs(NODE)).getStatus());
        assertEquals(Status.SKIP, Fixtures.run(new RoceQosCheck(), Fixtures.hostFs(NODE)).getStatus());
    }

    /** The bond's slave carries the ECN settings (values of prometheus/procfs' mlx5 fixture). */
    static Path bondWithEcn(Path root) throws Exception {
        Fixtures.copy(BOND, root);
        Files.createDirectories(root.resolve("sys/class/net/bond0/bonding"));
        Files.writeString(root.resolve("sys/class/net/bond0/bonding/slaves"), "eth0 eth1\n");
        int[] np = {1, 1, 0, 1, 1, 0, 1, 1};
        int[] rp = {1, 1, 0, 1, 1, 0, 1, 0};
        for (int priority = 0; priority < 8; priority++) {
            Path ecn = root.resolve("sys/class/net/eth0/ecn");
            Files.createDirectories(ecn.resolve("roce_np/enable"));
            Files.createDirectories(ecn.resolve("roce_rp/enable"));
            Files.writeString(ecn.resolve("roce_np/enable/" + priority), np[priority] + "\n");
            Files.writeString(ecn.resolve("roce_rp/enable/" + priority), rp[priority] + "\n");
        }
        Files.writeString(root.resolve("sys/class/net/bond0/mtu"), "9000\n");
        return root;
    }

    @Test
    void qosFollowsNcclsTrafficClassToItsPriority(@TempDir Path root) throws Exception {
        CheckResult plain = Fixtures.run(new RoceQosCheck(), Fixtures.hostFs(BOND));
        assertEquals(Status.WARN, plain.getStatus(), plain.toString());
        assertTrue(plain.getSummary().contains("bond0 has MTU 1500, below 4200"), plain.getSummary());
        assertTrue(plain.getObserved().endsWith("PFC is set over netlink, not in sysfs: verify with mlnx_qos -i IF"), plain.getObserved());

        bondWithEcn(root);
        CheckResult priorityZero = Fixtures.run(new RoceQosCheck(), HostFs.under(root));
        assertEquals(Status.PASS, priorityZero.getStatus(), priorityZero.toString());
        assertTrue(priorityZero.getObserved().contains("traffic class 0 (NCCL default), priority 0, ECN np on rp on, MTU 9000"),
                priorityZero.getObserved());
        CheckResult lossless = Fixtures.run(new RoceQosCheck(), HostFs.under(root), env(Map.of("NCCL_IB_TC", "106")));
        assertEquals(Status.PASS, lossless.getStatus(), lossless.toString());
        CheckResult priorityTwo = Fixtures.run(new RoceQosCheck(), HostFs.under(root), env(Map.of("NCCL_IB_TC", "64")));
        assertEquals(Status.WARN, priorityTwo.getStatus(), priorityTwo.toString());
        assertTrue(priorityTwo.getSummary().contains("DCQCN is off on priority 2"), priorityTwo.getSummary());
    }

    @Test
    void theNicsGlobalTrafficClassOverridesNcclIbTc(@TempDir Path root) throws Exception {
        bondWithEcn(root);
        Path tc = root.resolve("sys/class/infiniband/mlx5_bond_0/tc/1/traffic_class");
        Files.createDirectories(tc.getParent());
        Files.writeString(tc, "Global tclass=106\n");
        CheckResult result = Fixtures.run(new RoceQosCheck(), HostFs.under(root), env(Map.of("NCCL_IB_TC", "64")));
        assertEquals(Status.WARN, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("the NIC's global traffic class 106 replaces NCCL_IB_TC=64"), result.getSummary());
        Files.writeString(root.resolve("sys/class/net/eth0/ecn/roce_np/enable/3"), "on\n");
        assertEquals(Status.ERROR, Fixtures.run(new RoceQosCheck(), HostFs.under(root)).getStatus());
    }

    @Test
    void ncclBootstrapsOnTheFirstIpoibInterface() {
        CheckResult result = Fixtures.run(new SocketIfnameCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getSummary().startsWith("NCCL would bootstrap on ibp24s0 192.168.1.11"), result.getSummary());
    }

    @Test
    void aSetIfnameThatMatchesNothingUsableFailsAndSaysWhy() {
        CheckResult missing = Fixtures.run(new SocketIfnameCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_SOCKET_IFNAME", "=eth0")));
        assertEquals(Status.FAIL, missing.getStatus(), missing.toString());
        assertTrue(missing.getSummary().contains("no interface matches it"), missing.getSummary());
        CheckResult down = Fixtures.run(new SocketIfnameCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_SOCKET_IFNAME", "docker")));
        assertEquals(Status.FAIL, down.getStatus(), down.toString());
        assertTrue(down.getSummary().contains("docker0 is down"), down.getSummary());
        CheckResult front = Fixtures.run(new SocketIfnameCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_SOCKET_IFNAME", "=eno1")));
        assertEquals(Status.PASS, front.getStatus(), front.toString());
    }

    @Test
    void withTheFabricDownNcclFallsBackToLoopback(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        try (var names = Files.list(root.resolve("sys/class/net"))) {
            for (Path iface : (Iterable<Path>) names::iterator) {
                if (!iface.getFileName().toString().equals("lo")) {
                    Files.writeString(iface.resolve("operstate"), "down\n");
                }
            }
        }
        CheckResult result = Fixtures.run(new SocketIfnameCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("NCCL would bootstrap on lo 127.0.0.1 (loopback"), result.getSummary());
        Files.writeString(root.resolve("proc/self/net/route"), "Iface Destination\nlo zz\n");
        assertEquals(Status.ERROR, Fixtures.run(new SocketIfnameCheck(), HostFs.under(root)).getStatus());
    }

    @Test
    void ncclEnvRecommendsTheRailsExactly() {
        CheckResult result = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertEquals(RecommendedNcclSetting.newBuilder().setName("NCCL_IB_HCA")
                .setRecommended("=mlx5_0:1,mlx5_1:1,mlx5_4:1,mlx5_5:1,mlx5_6:1,mlx5_7:1,mlx5_8:1,mlx5_9:1")
                .setReason("each GPU's nearest NIC (the rails), ports that are up, named exactly").build(), result.getNcclSettings(0));
        assertEquals("NCCL_SOCKET_IFNAME", result.getNcclSettings(1).getName());
        assertEquals("=ibp24s0", result.getNcclSettings(1).getRecommended());
        assertEquals("PXB", result.getNcclSettings(2).getRecommended());
    }

    @Test
    void ncclEnvFindsPrefixSurprisesMixedFabricsAndUnknownDevices() {
        CheckResult prefix = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs("h100-ib-eth-some-down"),
                env(Map.of("NCCL_IB_HCA", "mlx5_1")));
        assertEquals(Status.WARN, prefix.getStatus(), prefix.toString());
        assertTrue(prefix.getSummary().contains("entry 'mlx5_1' is a prefix without '=': it also selects mlx5_10, mlx5_11"),
                prefix.getSummary());
        assertTrue(prefix.getSummary().contains("NCCL would use InfiniBand and Ethernet (RoCE) ports together"), prefix.getSummary());
        assertEquals("NCCL_IB_HCA", prefix.getNcclSettings(0).getName());
        assertEquals("mlx5_1", prefix.getNcclSettings(0).getCurrent());

        CheckResult nothing = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_IB_HCA", "=mlx5_12")));
        assertEquals(Status.FAIL, nothing.getStatus(), nothing.toString());
        assertTrue(nothing.getSummary().contains("'mlx5_12' matches no RDMA device"), nothing.getSummary());

        CheckResult wrongPort = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_IB_HCA", "=mlx5_0:2")));
        assertEquals(Status.FAIL, wrongPort.getStatus(), wrongPort.toString());
    }

    @Test
    void ncclEnvJudgesSwitchesLevelsAndNames() {
        CheckResult disabled = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_IB_DISABLE", "1")));
        assertEquals(Status.FAIL, disabled.getStatus(), disabled.toString());
        assertTrue(disabled.getNcclSettingsList().stream().anyMatch(s -> s.getName().equals("NCCL_IB_DISABLE")
                && s.getRecommended().equals("0") && s.getCurrent().equals("1") && s.getIsSet()));

        CheckResult lowercase = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_NET_GDR_LEVEL", "pxb")));
        assertEquals(Status.WARN, lowercase.getStatus(), lowercase.toString());
        assertTrue(lowercase.getSummary().contains("not a level NCCL recognises"), lowercase.getSummary());
        assertEquals(Status.PASS, Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_NET_GDR_LEVEL", "5"))).getStatus());
        CheckResult tooNear = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_NET_GDR_LEVEL", "PIX")));
        assertEquals(Status.WARN, tooNear.getStatus(), tooNear.toString());
        assertTrue(tooNear.getSummary().contains("GPUDirect RDMA is off on that rail"), tooNear.getSummary());

        CheckResult typo = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_SOCKET_IFNAMES", "=eno1")));
        assertEquals(Status.WARN, typo.getStatus());
        assertTrue(typo.getSummary().contains("NCCL_SOCKET_IFNAMES is not an NCCL variable - did you mean NCCL_SOCKET_IFNAME?"),
                typo.getSummary());

        CheckResult p2p = Fixtures.run(new NcclEnvCheck(), Fixtures.hostFs(NODE), env(Map.of("NCCL_P2P_DISABLE", "1", "NCCL_IB_GID_INDEX", "three")));
        assertEquals(Status.WARN, p2p.getStatus());
        assertTrue(p2p.getSummary().contains("NCCL_P2P_DISABLE=1") && p2p.getSummary().contains("NCCL_IB_GID_INDEX=three is not an integer"),
                p2p.getSummary());
    }

    @Test
    void aMalformedPortStateIsThePortChecksErrorNotNcclEnvs(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Files.writeString(root.resolve("sys/class/infiniband/mlx5_0/ports/1/state"), "ACTIVE\n");
        CheckResult env = Fixtures.run(new NcclEnvCheck(), HostFs.under(root));
        assertNotEquals(Status.ERROR, env.getStatus(), env.toString());
        CheckResult ports = Fixtures.run(new IbPortsCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, ports.getStatus());
        assertTrue(ports.getSummary().contains("ports/1/state"), ports.getSummary());
    }
}
