package dev.preflight.agent.check.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Fact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** host.iommu, host.pcie_acs, host.pcie_link and host.topology on the 8-GPU node and its variants. */
class PciChecksTest {
    private static final String NODE = "hgx-8gpu-cx7-ndr";

    static Path device(Path root, String bdf) {
        return root.resolve("sys/bus/pci/devices/" + bdf);
    }

    @Test
    void iommuInPassthroughPassesAndTranslationFails(@TempDir Path root) throws Exception {
        CheckResult node = Fixtures.run(new IommuCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, node.getStatus(), node.toString());
        assertEquals("cmdline intel_iommu=on iommu=pt; identity: 16 device(s)", node.getObserved());
        Fixtures.copy(NODE, root);
        Path group = device(root, "0000:1b:00.0").resolve("iommu_group");
        String number = Files.readSymbolicLink(group).getFileName().toString();
        Files.writeString(root.resolve("sys/kernel/iommu_groups/" + number + "/type"), "DMA-FQ\n");
        CheckResult translated = Fixtures.run(new IommuCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, translated.getStatus(), translated.toString());
        assertTrue(translated.getSummary().contains("GPU 0000:1b:00.0"), translated.getSummary());
        assertTrue(translated.getRemediation().contains("iommu=pt"), translated.getRemediation());
    }

    @Test
    void devicesInNoIommuGroupMeanTheIommuIsOff(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        try (var links = Files.find(root.resolve("sys/devices"), 12, (path, attributes) -> path.getFileName().toString().equals("iommu_group"))) {
            for (Path link : (Iterable<Path>) links::iterator) {
                Files.delete(link);
            }
        }
        CheckResult result = Fixtures.run(new IommuCheck(), HostFs.under(root));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("off"), result.getSummary());
    }

    @Test
    void iommuSkipsANodeWithoutGpusOrNics() {
        assertEquals(Status.SKIP, Fixtures.run(new IommuCheck(), Fixtures.hostFs("docker-default")).getStatus());
    }

    @Test
    void acsPassesWhenNoSwitchPortRedirectsAndFailsOnRedirects(@TempDir Path root) throws Exception {
        CheckResult node = Fixtures.run(new PcieAcsCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, node.getStatus(), node.toString());
        Fixtures.copy(NODE, root);
        Path config = device(root, "0000:17:02.0").resolve("config");
        byte[] bytes = Files.readAllBytes(config);
        bytes[0x176] = 0x1d; // SrcValid+ ReqRedir+ CmpltRedir+ UpstreamFwd+, as a BIOS with ACS on sets it
        Files.write(config, bytes);
        CheckResult redirecting = Fixtures.run(new PcieAcsCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, redirecting.getStatus(), redirecting.toString());
        assertTrue(redirecting.getSummary().contains("0000:17:02.0 (ACSCtl SrcValid+ TransBlk- ReqRedir+"), redirecting.getSummary());
        assertTrue(redirecting.getRemediation().contains("ACS"), redirecting.getRemediation());
    }

    @Test
    void aSixtyFourByteReadIsSkippedNeverPassed(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Path shortRead = Fixtures.tree("pci-config-unprivileged").resolve("config");
        try (var configs = Files.find(root.resolve("sys/devices"), 12, (path, attributes) -> path.getFileName().toString().equals("config"))) {
            for (Path config : (Iterable<Path>) configs::iterator) {
                Files.copy(shortRead, config, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        CheckResult result = Fixtures.run(new PcieAcsCheck(), HostFs.under(root));
        assertEquals(Status.SKIP, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("64 bytes") && result.getSummary().contains("CAP_SYS_ADMIN"), result.getSummary());
    }

    @Test
    void aLoopingCapabilityChainIsAnError(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Path config = device(root, "0000:16:00.0").resolve("config");
        byte[] bytes = Files.readAllBytes(config);
        bytes[0x222] = 0x00;
        bytes[0x223] = 0x10;
        Files.write(config, bytes);
        CheckResult result = Fixtures.run(new PcieAcsCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus());
        assertTrue(result.getSummary().contains("0000:16:00.0/config"), result.getSummary());
    }

    @Test
    void aNicLinkTrainedToFewerLanesFailsBecauseItIsARail(@TempDir Path root) throws Exception {
        CheckResult node = Fixtures.run(new PcieLinkCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, node.getStatus(), node.toString());
        Fixtures.copy(NODE, root);
        Files.writeString(device(root, "0000:40:00.0").resolve("current_link_width"), "8\n");
        CheckResult downgraded = Fixtures.run(new PcieLinkCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, downgraded.getStatus(), downgraded.toString());
        assertTrue(downgraded.getSummary().contains("mlx5_1 (0000:40:00.0) runs at 32 GT/s (Gen5) x8"), downgraded.getSummary());
    }

    @Test
    void aGen5GpuBehindAGen4PortIsLimitedWhateverItsIdleSpeed(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        // An idle GPU's current speed is low by design: not judged.
        Files.writeString(device(root, "0000:43:00.0").resolve("current_link_speed"), "2.5 GT/s PCIe\n");
        assertEquals(Status.PASS, Fixtures.run(new PcieLinkCheck(), HostFs.under(root)).getStatus());
        // The dmesg capture's case: a Gen5 GPU under a 16 GT/s port.
        Files.writeString(device(root, "0000:1a:00.0").resolve("max_link_speed"), "16.0 GT/s PCIe\n");
        Files.writeString(device(root, "0000:1a:00.0").resolve("current_link_speed"), "16.0 GT/s PCIe\n");
        CheckResult limited = Fixtures.run(new PcieLinkCheck(), HostFs.under(root));
        assertEquals(Status.WARN, limited.getStatus(), limited.toString());
        assertTrue(limited.getSummary().contains("GPU 0000:1b:00.0 (capable of 32 GT/s (Gen5) x16) is limited to 16 GT/s (Gen4) x16"),
                limited.getSummary());
    }

    @Test
    void aMalformedLinkWidthIsAnError(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Files.writeString(device(root, "0000:18:00.0").resolve("max_link_width"), "x16\n");
        CheckResult result = Fixtures.run(new PcieLinkCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus());
        assertTrue(result.getSummary().contains("x16"), result.getSummary());
    }

    @Test
    void theRailMapPairsEachGpuWithTheNicOnItsSwitch() {
        CheckResult result = Fixtures.run(new TopologyCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getObserved().startsWith("GPU0 0000:1b:00.0 -> mlx5_0 (PXB) numa 0/0; GPU1 0000:43:00.0 -> mlx5_1 (PXB)"),
                result.getObserved());
        assertTrue(result.getFactsList().contains(Fact.newBuilder().setName("rail").setValue("mlx5_9 PXB")
                .setSubject("GPU7 0000:df:00.0").build()), result.getFactsList().toString());
    }

    @Test
    void aGpuWhoseNicIsGoneFallsBackAcrossTheHostBridgeAndWarns(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Files.delete(root.resolve("sys/class/infiniband/mlx5_0"));
        CheckResult result = Fixtures.run(new TopologyCheck(), HostFs.under(root));
        assertEquals(Status.WARN, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("GPU0 0000:1b:00.0's nearest NIC mlx5_1 is PHB"), result.getSummary());
    }

    @Test
    void gpusWithoutAnyRdmaNicWarnAndANodeWithoutGpusSkips(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        try (var entries = Files.list(root.resolve("sys/class/infiniband"))) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                Files.delete(entry);
            }
        }
        assertEquals(Status.WARN, Fixtures.run(new TopologyCheck(), HostFs.under(root)).getStatus());
        assertEquals(Status.SKIP, Fixtures.run(new TopologyCheck(), Fixtures.hostFs("docker-default")).getStatus());
    }

    @Test
    void aMalformedClassFileIsAnErrorNamingIt(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Files.writeString(device(root, "0000:1b:00.0").resolve("class"), "3D controller\n");
        CheckResult result = Fixtures.run(new TopologyCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus());
        assertTrue(result.getSummary().contains("0000:1b:00.0/class") && result.getSummary().contains("3D controller"),
                result.getSummary());
    }
}
