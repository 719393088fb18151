package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.bench.NcclDebugLog;
import dev.preflight.agent.bench.TransportJudge;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Fact;
import dev.preflight.proto.v1.RailFact;
import dev.preflight.proto.v1.TransportProof;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * nccl.transport judged against a rail map, on real NCCL logs (origins in
 * agent/src/test/resources/nccl-logs/README.md); the rail maps are what host.topology reports.
 */
class TransportCheckTest {
    private static final Path LOGS = Path.of("../agent/src/test/resources/nccl-logs");
    private static final List<String> ACTIVE = List.of("mlx5_bond_6/1 (Ethernet)", "mlx5_bond_7/1 (Ethernet)");
    /** nccl-tests#321's own topology: GPU0 is PIX to mlx5_bond_7, GPU1 to mlx5_bond_6. */
    private static final List<RailFact> H20_RAILS = List.of(rail(0, "0000:23:00.0", "mlx5_bond_7:1", "PIX"),
            rail(1, "0000:33:00.0", "mlx5_bond_6:1", "PIX"));

    private static RailFact rail(int gpu, String busId, String nic, String path) {
        return RailFact.newBuilder().setGpu(gpu).setGpuPciBusId(busId).addNics(nic).setPath(path).build();
    }

    private static TransportProof proof(String log, List<String> activePorts) throws IOException {
        return TransportJudge.judge(List.of(NcclDebugLog.parse(Files.readString(LOGS.resolve(log)))), activePorts);
    }

    @Test
    void pxnThroughTheProxysOwnRailNicPasses() throws IOException {
        CheckResult check = TransportCheck.of(proof("pxn-gdrdma-roce-plugin-h20-nccl-tests-issue-321.log", ACTIVE),
                H20_RAILS);
        assertEquals(CheckResult.Status.PASS, check.getStatus(), check.getSummary());
        assertFalse(check.getSummary().contains("off its rail"), check.getSummary());
    }

    @Test
    void trafficThroughAnotherRailsNicFails() throws IOException {
        List<RailFact> swapped = List.of(rail(0, "0000:23:00.0", "mlx5_bond_6:1", "PIX"),
                rail(1, "0000:33:00.0", "mlx5_bond_7:1", "PIX"));
        CheckResult check = TransportCheck.of(proof("pxn-gdrdma-roce-plugin-h20-nccl-tests-issue-321.log", ACTIVE),
                swapped);
        assertEquals(CheckResult.Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().contains("traffic off its rail: vm-host38 rank 2 (GPU1) received on 4 channel(s) "
                + "through mlx5_bond_6:1, the rail NIC of GPU0, not its own rail's mlx5_bond_7:1"), check.getSummary());
        assertTrue(check.getSummary().contains("rank 3 (GPU1, PXN proxy rank 2) sent on 2 channel(s) through "
                + "mlx5_bond_6:1, the rail NIC of GPU0"), check.getSummary());
        assertFalse(check.getRemediation().isEmpty());
    }

    @Test
    void aGpuServedByTwoNicsMayUseEither() throws IOException {
        // host.topology lists a rail entry per NIC: GPU1 also reaches mlx5_bond_7 here
        List<RailFact> two = List.of(rail(0, "0000:23:00.0", "mlx5_bond_7:1", "PIX"),
                rail(1, "0000:33:00.0", "mlx5_bond_7:1", "PXB"), rail(1, "0000:33:00.0", "mlx5_bond_6:1", "PIX"));
        CheckResult check = TransportCheck.of(proof("pxn-gdrdma-roce-plugin-h20-nccl-tests-issue-321.log", ACTIVE), two);
        assertEquals(CheckResult.Status.PASS, check.getStatus(), check.getSummary());
    }

    @Test
    void aNicThatIsNoRailsFails() throws IOException {
        List<RailFact> elsewhere = List.of(rail(0, "", "mlx5_0:1", "PIX"), rail(1, "", "mlx5_1:1", "PIX"));
        CheckResult check = TransportCheck.of(proof("pxn-gdrdma-roce-plugin-h20-nccl-tests-issue-321.log", ACTIVE),
                elsewhere);
        assertEquals(CheckResult.Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().contains("which is no GPU's rail NIC"), check.getSummary());
    }

    @Test
    void railsAreReadTypedAndTheirDisplayFactsAreNotParsedBack() {
        CheckResult topology = CheckResult.newBuilder().setId("host.topology")
                .addFacts(Fact.newBuilder().setName("rail").setValue("mlx5_bond_6 PIX").setSubject("GPU0 0000:23:00.0"))
                .addFacts(Fact.newBuilder().setName("rail").setValue("mlx5_bond_7 PIX").setSubject("GPU1 0000:33:00.0"))
                .build();
        assertEquals(List.of(), TransportCheck.rails(List.of(topology)));
        CheckResult typed = topology.toBuilder().addAllRails(H20_RAILS).build();
        assertEquals(H20_RAILS, TransportCheck.rails(List.of(typed)));
    }

    @Test
    void infinibandWithoutGdrWherTheNicIsCloseWarns() throws IOException {
        List<RailFact> close = List.of(rail(4, "", "mlx5_3:1", "PXB"), rail(5, "", "mlx5_3:1", "PXB"));
        CheckResult check = TransportCheck.of(proof("ib-no-gdr-p2p-nccl-issue-1412.log", List.of("mlx5_3/1 (InfiniBand)")),
                close);
        assertEquals(CheckResult.Status.WARN, check.getStatus());
        assertTrue(check.getSummary().contains("no GPUDirect RDMA on GPU5 via NET/IB/3, GPU4 via NET/IB/3"),
                check.getSummary());
    }

    @Test
    void infinibandWithoutGdrAcrossTheCpuIsWhatNcclDoesByDefault() throws IOException {
        List<RailFact> far = List.of(rail(4, "", "mlx5_3:1", "SYS"), rail(5, "", "mlx5_3:1", "SYS"));
        CheckResult check = TransportCheck.of(proof("ib-no-gdr-p2p-nccl-issue-1412.log", List.of("mlx5_3/1 (InfiniBand)")),
                far);
        assertEquals(CheckResult.Status.PASS, check.getStatus(), check.getSummary());
    }

    @Test
    void gdrdmaOnEveryChannelPasses() throws IOException {
        CheckResult check = TransportCheck.of(proof("ib-gdrdma-aks-rdma-infiniband-pr36.log",
                List.of("mlx5_0/1 (InfiniBand)")), List.of());
        assertEquals(CheckResult.Status.PASS, check.getStatus(), check.getSummary());
        assertTrue(check.getSummary().endsWith("no rail map to compare the NICs with"), check.getSummary());
    }

    @Test
    void nvlsIsReportedOnlyWhenUsed() throws IOException {
        assertTrue(TransportCheck.of(proof("ib-sharp-nvls-nccl-issue-1584.log", List.of()))
                .getSummary().contains("NVLS available but not used"));
        assertTrue(TransportCheck.of(proof("nvls-used-p5-single-node-aws-do-eks.log", List.of()))
                .getSummary().contains("NVLS used"));
    }

    @Test
    void aSocketFallBackStillFails() throws IOException {
        CheckResult check = TransportCheck.of(proof("socket-fallback-nccl-issue-952.log", List.of("mlx5_0/1 (InfiniBand)")),
                List.of());
        assertEquals(CheckResult.Status.FAIL, check.getStatus());
    }
}
