package dev.preflight.agent.check.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.check.Thresholds;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.check.nccl.NcclEnvNames;
import dev.preflight.agent.check.nccl.NcclSocketChoice;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Measurement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fabric.ib_ports, fabric.rdma_devices, fabric.gpudirect and the port-counter snapshot. */
class FabricChecksTest {
    private static final String NODE = "hgx-8gpu-cx7-ndr";

    static CheckSettings env(Map<String, String> nccl) {
        return Fixtures.settings().ncclEnv(nccl).build();
    }

    @Test
    void everyNdrRailActiveIsARecommendedClassPass() {
        CheckResult result = Fixtures.run(new IbPortsCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("8 of 8 RDMA ports ACTIVE") && result.getSummary().contains("recommended"),
                result.getSummary());
        assertTrue(result.getObserved().startsWith("mlx5_0:1 ACTIVE/LinkUp 400 Gb/sec (4X NDR) InfiniBand lid 0x80 sm 0x1"),
                result.getObserved());
        assertTrue(result.getMeasurementsList().contains(Measurement.newBuilder().setName("port_rate").setValue(50e9)
                .setUnit("B/s").setSubject("mlx5_9:1").build()));
    }

    @Test
    void aDownRailFails(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Path port = root.resolve("sys/class/infiniband/mlx5_4/ports/1");
        Files.writeString(port.resolve("state"), "1: DOWN\n");
        Files.writeString(port.resolve("phys_state"), "2: Polling\n");
        CheckResult result = Fixtures.run(new IbPortsCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("mlx5_4:1 (InfiniBand) is DOWN/Polling and rail of GPU2 (0000:52:00.0) needs it"),
                result.getSummary());
        assertTrue(result.getRemediation().contains("Polling has no partner"), result.getRemediation());
    }

    @Test
    void downEthernetFrontEndPortsAreNotedNotFailed() {
        CheckResult result = Fixtures.run(new IbPortsCheck(), Fixtures.hostFs("h100-ib-eth-some-down"));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("9 of 12 RDMA ports ACTIVE"), result.getSummary());
        assertTrue(result.getSummary().contains("mlx5_2:1 (Ethernet) is DOWN/Disabled, which nothing requires"), result.getSummary());
    }

    @Test
    void aDownEthernetPortNamedByNcclIbHcaFails() {
        CheckResult result = Fixtures.run(new IbPortsCheck(), Fixtures.hostFs("h100-ib-eth-some-down"),
                env(Map.of("NCCL_IB_HCA", "=mlx5_0,mlx5_2")));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("mlx5_2:1 (Ethernet) is DOWN/Disabled and NCCL_IB_HCA==mlx5_0,mlx5_2 needs it"),
                result.getSummary());
    }

    @Test
    void aPollingInfinibandPortWarnsUnlessNcclNeedsIt() {
        CheckResult unused = Fixtures.run(new IbPortsCheck(), Fixtures.hostFs("cx3-ib-polling"));
        assertEquals(Status.WARN, unused.getStatus(), unused.toString());
        assertTrue(unused.getSummary().startsWith("mlx4_0:1 (InfiniBand) is DOWN/Polling"), unused.getSummary());
        CheckResult needed = Fixtures.run(new IbPortsCheck(), Fixtures.hostFs("cx3-ib-polling"), env(Map.of("NCCL_IB_HCA", "mlx4_0:1")));
        assertEquals(Status.FAIL, needed.getStatus(), needed.toString());
    }

    @Test
    void hdrIsProductionViableAndTheThresholdsAreNamed() {
        CheckResult hdr = Fixtures.run(new IbPortsCheck(), Fixtures.hostFs("a100-vm-hdr"));
        assertEquals(Status.PASS, hdr.getStatus(), hdr.toString());
        assertTrue(hdr.getSummary().contains("production viable"), hdr.getSummary());
        CheckSettings stricter = Fixtures.settings().thresholds(Thresholds.of(
                Map.of("fabric.ib_ports.warn_below_gbytes_per_s", 50.0), IbPortsCheck.THRESHOLDS)).build();
        CheckResult warned = Fixtures.run(new IbPortsCheck(), Fixtures.hostFs("a100-vm-hdr"), stricter);
        assertEquals(Status.WARN, warned.getStatus(), warned.toString());
        assertTrue(warned.getSummary().contains("25 GB/s per link (production viable)"), warned.getSummary());
    }

    @Test
    void anIbPortWithoutASubnetManagerLid(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Files.writeString(root.resolve("sys/class/infiniband/mlx5_7/ports/1/sm_lid"), "0x0\n");
        CheckResult result = Fixtures.run(new IbPortsCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("mlx5_7:1 has no subnet manager LID"), result.getSummary());
    }

    @Test
    void aMalformedRateIsAnErrorNamingFileAndContent(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Path rate = root.resolve("sys/class/infiniband/mlx5_0/ports/1/rate");
        Files.writeString(rate, "400\n");
        CheckResult result = Fixtures.run(new IbPortsCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus());
        assertTrue(result.getSummary().contains("mlx5_0/ports/1/rate") && result.getSummary().contains("'400'"), result.getSummary());
    }

    @Test
    void aMalformedPortFileCostsOnlyThatPortsJudgement(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Files.writeString(root.resolve("sys/class/infiniband/mlx5_0/ports/1/rate"), "99999999999999999999 Gb/sec (4X NDR)\n");
        CheckResult ports = Fixtures.run(new IbPortsCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, ports.getStatus());
        assertTrue(ports.getSummary().startsWith("cannot judge mlx5_0/1 (malformed ") && ports.getSummary()
                .contains("; the rest: 7 of 7 RDMA ports ACTIVE"), ports.getSummary());
        for (Check check : Checks.standard().all()) {
            if (check instanceof IbPortsCheck) {
                continue;
            }
            CheckResult result = Fixtures.run(check, HostFs.under(root));
            assertFalse(result.getStatus() == Status.ERROR && result.getSummary().contains("mlx5_0"), result.toString());
        }
    }

    @Test
    void aMissingIfindexOnlyOrdersThatInterfaceLast(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        try (var interfaces = Files.list(root.resolve("sys/class/net"))) {
            for (Path iface : interfaces.toList()) {
                Files.deleteIfExists(iface.resolve("ifindex"));
            }
        }
        for (Check check : List.<Check>of(new SocketIfnameCheck(), new NcclEnvCheck())) {
            CheckResult result = Fixtures.run(check, HostFs.under(root), env(Map.of("NCCL_SOCKET_IFNAME", "=nosuch0")));
            assertFalse(result.getStatus() == Status.ERROR, result.toString());
        }
    }

    @Test
    void noRdmaDeviceIsASkip() {
        assertEquals(Status.SKIP, Fixtures.run(new IbPortsCheck(), Fixtures.hostFs("docker-default")).getStatus());
        assertEquals(Status.SKIP, Fixtures.run(new RdmaDevicesCheck(), Fixtures.hostFs("docker-default")).getStatus());
    }

    @Test
    void verbsNodesAndLibibverbs(@TempDir Path root) throws Exception {
        CheckResult node = Fixtures.run(new RdmaDevicesCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, node.getStatus(), node.toString());
        assertTrue(node.getSummary().endsWith("libibverbs.so.1 is /lib/x86_64-linux-gnu/libibverbs.so.1"), node.getSummary());
        Fixtures.copy(NODE, root);
        Files.delete(root.resolve("dev/infiniband/uverbs3"));
        CheckResult missing = Fixtures.run(new RdmaDevicesCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, missing.getStatus(), missing.toString());
        assertTrue(missing.getSummary().contains("mlx5_5's /dev/infiniband/uverbs3 is missing"), missing.getSummary());
        Files.createDirectory(root.resolve("dev/infiniband/uverbs3"));
        CheckResult unopenable = Fixtures.run(new RdmaDevicesCheck(), HostFs.under(root));
        assertTrue(unopenable.getSummary().contains("cannot be opened read-write"), unopenable.getSummary());
    }

    @Test
    void withoutLibibverbsNcclFallsBackToSockets(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Files.delete(root.resolve("lib/x86_64-linux-gnu/libibverbs.so.1"));
        CheckResult result = Fixtures.run(new RdmaDevicesCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("libibverbs.so.1 does not resolve"), result.getSummary());
        Files.write(root.resolve("etc/ld.so.cache"), "glibc-ld.so.cache1.1".getBytes());
        assertEquals(Status.ERROR, Fixtures.run(new RdmaDevicesCheck(), HostFs.under(root)).getStatus());
    }

    @Test
    void gpudirectThroughPeermemOrDmaBuf(@TempDir Path root) throws Exception {
        assertEquals(Status.PASS, Fixtures.run(new GpuDirectCheck(), Fixtures.hostFs(NODE)).getStatus());
        Fixtures.copy(NODE, root);
        Files.delete(root.resolve("sys/module/nvidia_peermem/version"));
        Path version = root.resolve("proc/driver/nvidia/version");
        Files.createDirectories(version.getParent());
        // the proprietary module (a published /proc/driver/nvidia/version)
        Files.writeString(version, "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC 2024\nGCC version:\n");
        CheckResult proprietary = Fixtures.run(new GpuDirectCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, proprietary.getStatus(), proprietary.toString());
        assertTrue(proprietary.getSummary().contains("proprietary kernel module"), proprietary.getSummary());
        // the open module (a published capture), on the fixture's 5.15 kernel: DMA-BUF
        Files.writeString(version, "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  555.42.02  Release Build  "
                + "(dvs-builder@U16-I3-A03-02-4)  Mon May 13 17:10:33 UTC 2024\nGCC version:  gcc version 11.4.0 (Ubuntu 11.4.0-1ubuntu1~22.04)\n");
        CheckResult open = Fixtures.run(new GpuDirectCheck(), HostFs.under(root));
        assertEquals(Status.PASS, open.getStatus(), open.toString());
        assertTrue(open.getSummary().startsWith("DMA-BUF is available"), open.getSummary());
        Files.writeString(root.resolve("proc/sys/kernel/osrelease"), "5.4.0-150-generic\n");
        assertEquals(Status.FAIL, Fixtures.run(new GpuDirectCheck(), HostFs.under(root)).getStatus(), "5.4 predates DMA-BUF");
        Files.delete(root.resolve("proc/sys/kernel/osrelease"));
        CheckResult unreadable = Fixtures.run(new GpuDirectCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, unreadable.getStatus());
        assertTrue(unreadable.getSummary().contains("osrelease"), unreadable.getSummary());
    }

    @Test
    void theKnownNamesIncludeEveryVariableTheChecksRead() {
        List<String> read = new ArrayList<>(Arrays.asList(FabricView.IB_HCA, NcclSocketChoice.SOCKET_IFNAME,
                NcclSocketChoice.SOCKET_FAMILY, RoceGidCheck.GID_INDEX, RoceQosCheck.IB_TC, NcclEnvCheck.IB_DISABLE,
                NcclEnvCheck.GDR_LEVEL, NcclEnvCheck.P2P_DISABLE, NcclEnvCheck.SHM_DISABLE, "NCCL_IB_ADDR_FAMILY",
                "NCCL_IB_ADDR_RANGE", "NCCL_IB_ROCE_VERSION_NUM"));
        read.removeAll(NcclEnvNames.known());
        assertEquals(List.of(), read);
    }
}
