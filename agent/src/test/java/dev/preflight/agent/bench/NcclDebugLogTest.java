package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The transport facts each real NCCL log gives (origins in test resources nccl-logs/README.md). */
class NcclDebugLogTest {

    @Test
    void infinibandWithGpuDirectRdma() {
        NcclDebugLog log = NcclLogs.parsed("ib-gdrdma-aks-rdma-infiniband-pr36.log");
        assertEquals(Set.of("NET/IB/GDRDMA"), log.transports());
        assertTrue(log.gdrdma());
        assertFalse(log.usesSockets());
    }

    @Test
    void infinibandWithoutGdrAndDirectPointerP2p() {
        NcclDebugLog log = NcclLogs.parsed("ib-no-gdr-p2p-nccl-issue-1412.log");
        assertEquals(Set.of("P2P/direct", "NET/IB"), log.transports());
        assertFalse(log.gdrdma());
        assertFalse(log.usesSockets());
    }

    @Test
    void sharpPluginWithNvlsOnUnprefixedLines() {
        NcclDebugLog log = NcclLogs.parsed("ib-sharp-nvls-nccl-issue-1584.log");
        assertEquals("2.24.3", log.ncclVersion());
        assertEquals("IBext_v8", log.network());
        assertEquals("NCCL RDMA Plugin v8", log.netPlugin());
        assertEquals(List.of("ibp0:1/IB/SHARP", "ibp1:1/IB/SHARP", "ibp2:1/IB/SHARP", "ibp3:1/IB/SHARP",
                "ibp4:1/IB/SHARP", "ibp5:1/IB/SHARP", "ibp6:1/IB/SHARP", "ibp7:1/IB/SHARP"), List.copyOf(log.nics()));
        // "NVLS multicast support is available" says the GPU could, not that NCCL did
        assertTrue(log.nvlsAvailable());
        assertFalse(log.nvls());
        assertFalse(log.usesSockets());
    }

    @Test
    void bootstrapOverIpoibIsNotASocketFallBack() {
        NcclDebugLog log = NcclLogs.parsed("ib-bootstrap-over-ipoib-nv-peer-memory-issue-56.log");
        assertEquals("2.4.7", log.ncclVersion());
        assertEquals(Set.of("mlx5_0:1/IB"), log.nics());
        assertEquals(Set.of("ib0"), log.socketInterfaces());
        assertFalse(log.usesSockets());
    }

    @Test
    void roceNics() {
        NcclDebugLog log = NcclLogs.parsed("roce-nccl-tests-issue-185.log");
        assertEquals("2.19.3", log.ncclVersion());
        assertEquals("IB", log.network());
        assertEquals(Set.of("mlx5_10:1/RoCE", "mlx5_11:1/RoCE"), log.nics());
        assertFalse(log.usesSockets());
    }

    @Test
    void roceThroughThePluginBehindRayPrefixes() {
        NcclDebugLog log = NcclLogs.parsed("roce-ibext-plugin-ray-prefixed-vllm-dgx-spark-issue-1.log");
        assertEquals(Set.of("NET/IBext_v10"), log.transports());
        assertFalse(log.usesSockets());
    }

    @Test
    void efaIsRecognisedAsAPluginNotAFallBack() {
        NcclDebugLog log = NcclLogs.parsed("efa-aws-libfabric-eks-blueprints.log");
        assertEquals("2.12.7", log.ncclVersion());
        assertEquals("AWS Libfabric", log.network());
        assertEquals("OFI (efa)", log.netPlugin());
        assertEquals(Set.of("NET/AWS Libfabric"), log.transports());
        assertFalse(log.usesSockets());
    }

    @Test
    void socketChannelsBetweenNodes() {
        NcclDebugLog log = NcclLogs.parsed("socket-fallback-nccl-issue-952.log");
        assertEquals(Set.of("P2P/IPC/read", "NET/Socket"), log.transports());
        assertTrue(log.usesSockets());
    }

    @Test
    void noInfinibandDeviceAndSocketsOnAnOldNccl() {
        NcclDebugLog log = NcclLogs.parsed("socket-no-ib-device-nccl-issue-226.log");
        assertEquals("2.4.7", log.ncclVersion());
        assertTrue(log.ibNoDevice());
        assertEquals(Set.of("ens3"), log.socketInterfaces());
        assertTrue(log.usesSockets());
    }

    @Test
    void pxnChannelsKeepTheirGdrdmaTagNicIndexAndProxy() {
        NcclDebugLog log = NcclLogs.parsed("pxn-gdrdma-roce-plugin-h20-nccl-tests-issue-321.log");
        assertEquals("2.26.5", log.ncclVersion());
        assertEquals("NCCL RDMA Plugin v6", log.network());
        assertEquals(Set.of("NET/NCCL RDMA Plugin v6/GDRDMA/Shared", "P2P/CUMEM"), log.transports());
        assertEquals(Map.of(0, "mlx5_bond_6:1/RoCE", 1, "mlx5_bond_7:1/RoCE"), log.ibNics());
        assertTrue(log.gdrdma());
        assertFalse(log.nvls());
        assertEquals(32, log.netChannels().size());
        // "vm-host38:33958:34017 [1] ... 3[0] -> 0[1] [send] via NET/NCCL RDMA Plugin v6/0(2)/GDRDMA/Shared"
        NcclDebugLog.NetChannel pxn = log.netChannels().get(1);
        assertEquals(new NcclDebugLog.NetChannel("vm-host38", 3, true, "NCCL RDMA Plugin v6", 0, 2, true), pxn);
        assertEquals("mlx5_bond_6:1/RoCE", log.nicName(pxn));
        assertTrue(log.netChannels().stream().allMatch(NcclDebugLog.NetChannel::gdrdma));
        assertEquals(8, log.netChannels().stream().filter(c -> c.proxyRank() >= 0).count());
        assertEquals(Map.of(0, "1", 1, "0", 2, "1", 3, "0"), log.rankDevices());
    }

    @Test
    void nvlsChannelsAreUse() {
        NcclDebugLog log = NcclLogs.parsed("nvls-used-p5-single-node-aws-do-eks.log");
        assertTrue(log.nvls());
        assertFalse(log.nvlsAvailable());
    }

    @Test
    void zeroNvlsChannelsAreNoUse() {
        assertFalse(NcclLogs.parsed("pxn-gdrdma-roce-plugin-h20-nccl-tests-issue-321.log").nvls());
    }

    @Test
    void aChannelWithoutTheGdrdmaTagIsNoGpuDirect() {
        NcclDebugLog log = NcclLogs.parsed("ib-no-gdr-p2p-nccl-issue-1412.log");
        assertEquals(4, log.netChannels().size());
        assertTrue(log.netChannels().stream().noneMatch(NcclDebugLog.NetChannel::gdrdma));
        assertEquals(3, log.netChannels().get(0).nicIndex());
        // the excerpt has no "NET/IB : Using" list, so the index names no NIC
        assertEquals("", log.nicName(log.netChannels().get(0)));
    }

    @Test
    void anEmptyLogNamesNothing() {
        NcclDebugLog log = NcclDebugLog.parse("");
        assertTrue(log.transports().isEmpty());
        assertEquals("", log.network());
        assertFalse(log.usesSockets());
    }
}
