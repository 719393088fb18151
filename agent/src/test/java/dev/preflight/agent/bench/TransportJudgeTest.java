package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.NetChannelUse;
import dev.preflight.proto.v1.TransportProof;
import java.util.List;
import org.junit.jupiter.api.Test;

class TransportJudgeTest {
    private static final List<String> ACTIVE_IB = List.of("mlx5_0/1 (InfiniBand)", "mlx5_3/1 (InfiniBand)");

    @Test
    void socketsWhileInfinibandPortsAreActiveIsAFallBack() {
        TransportProof proof = TransportJudge.judge(List.of(NcclLogs.parsed("socket-fallback-nccl-issue-952.log")),
                ACTIVE_IB);
        assertEquals(TransportProof.Verdict.SOCKET_FALLBACK, proof.getVerdict());
        assertEquals("NCCL fell back to TCP sockets (via P2P/IPC/read, NET/Socket) although InfiniBand/RoCE ports "
                + "are active: mlx5_0/1 (InfiniBand), mlx5_3/1 (InfiniBand)", proof.getSummary());
    }

    @Test
    void noIbDeviceFoundOnANodeWithActivePortsIsAFallBack() {
        TransportProof proof = TransportJudge.judge(List.of(NcclLogs.parsed("socket-no-ib-device-nccl-issue-226.log")),
                ACTIVE_IB);
        assertEquals(TransportProof.Verdict.SOCKET_FALLBACK, proof.getVerdict());
    }

    @Test
    void socketsWithoutRdmaPortsAreWhatTheNodeCanDo() {
        TransportProof proof = TransportJudge.judge(List.of(NcclLogs.parsed("socket-fallback-nccl-issue-952.log")),
                List.of());
        assertEquals(TransportProof.Verdict.PROVEN, proof.getVerdict());
        assertTrue(proof.getSummary().endsWith("no active InfiniBand/RoCE port on this node, so sockets are expected"),
                proof.getSummary());
    }

    @Test
    void infinibandWithGdrIsProven() {
        TransportProof proof = TransportJudge.judge(List.of(NcclLogs.parsed("ib-gdrdma-aks-rdma-infiniband-pr36.log"),
                NcclLogs.parsed("roce-nccl-tests-issue-185.log")), ACTIVE_IB);
        assertEquals(TransportProof.Verdict.PROVEN, proof.getVerdict());
        assertTrue(proof.getGdrdma());
        assertEquals("2.19.3", proof.getNcclVersion());
        assertEquals("NCCL 2.19.3 network IB, via NET/IB/GDRDMA; NICs mlx5_10:1/RoCE, mlx5_11:1/RoCE", proof.getSummary());
    }

    @Test
    void pluginNetworksAreProven() {
        TransportProof proof = TransportJudge.judge(List.of(NcclLogs.parsed("efa-aws-libfabric-eks-blueprints.log")),
                List.of("rdmap16s27/1 (unknown link layer)"));
        assertEquals(TransportProof.Verdict.PROVEN, proof.getVerdict());
        assertEquals("AWS Libfabric", proof.getNetwork());
    }

    @Test
    void everyNicUseBetweenNodesIsCountedWithTheGpuWhoseNicCarriedIt() {
        TransportProof proof = TransportJudge.judge(
                List.of(NcclLogs.parsed("pxn-gdrdma-roce-plugin-h20-nccl-tests-issue-321.log")), ACTIVE_IB);
        assertEquals(TransportProof.Verdict.PROVEN, proof.getVerdict());
        assertFalse(proof.getNvls());
        assertEquals(32, proof.getNetChannelsList().stream().mapToInt(NetChannelUse::getChannels).sum());
        // rank 3 (NVML device 0) sends through NIC 0 of its PXN proxy, rank 2 on NVML device 1
        NetChannelUse pxn = proof.getNetChannelsList().stream()
                .filter(u -> u.getHost().equals("vm-host38") && u.getRank() == 3 && u.getProxyRank() == 2)
                .findFirst().orElseThrow();
        assertEquals(1, pxn.getGpu());
        assertEquals("mlx5_bond_6:1/RoCE", pxn.getNic());
        assertEquals(2, pxn.getChannels());
        assertTrue(pxn.getGdrdma());
    }

    @Test
    void nvlsChannelsAreUseAndAvailabilityIsNot() {
        assertTrue(TransportJudge.judge(List.of(NcclLogs.parsed("nvls-used-p5-single-node-aws-do-eks.log")), List.of())
                .getNvls());
        TransportProof available = TransportJudge.judge(List.of(NcclLogs.parsed("ib-sharp-nvls-nccl-issue-1584.log")),
                List.of());
        assertFalse(available.getNvls());
        assertTrue(available.getNvlsAvailable());
    }

    @Test
    void oldBusIdBracketsNameTheGpuByPciAddress() {
        assertEquals("0000:19:00.0", TransportJudge.busId(0x19000));
        assertEquals("0000:c7:00.0", TransportJudge.busId(0xc7000));
    }

    @Test
    void logsWithoutTransportLinesProveNothing() {
        TransportProof proof = TransportJudge.judge(List.of(NcclDebugLog.parse(""), NcclDebugLog.parse("")), ACTIVE_IB);
        assertEquals(TransportProof.Verdict.UNKNOWN, proof.getVerdict());
    }
}
