package dev.preflight.agent.check.fabric;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * fabric.fabric_manager on the 8-GPU node given the NVSwitch device nodes of an HGX H100 baseboard
 * (/dev/nvidia-nvswitch0..3, as NVIDIA's Fabric Manager guide lists them) and a fabric manager process.
 */
class FabricManagerCheckTest {
    static Path nvswitchNode(Path root) throws Exception {
        Fixtures.copy("hgx-8gpu-cx7-ndr", root);
        for (String node : new String[] {"nvidia-nvswitch0", "nvidia-nvswitch1", "nvidia-nvswitch2", "nvidia-nvswitch3",
                "nvidia-nvswitchctl"}) {
            Files.writeString(root.resolve("dev/" + node), "");
        }
        Files.createDirectories(root.resolve("proc/driver/nvidia"));
        Files.writeString(root.resolve("proc/driver/nvidia/version"),
                "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC 2024\nGCC version:\n");
        return root;
    }

    static void process(Path root, int pid, String comm) throws Exception {
        Files.createDirectories(root.resolve("proc/" + pid));
        Files.writeString(root.resolve("proc/" + pid + "/comm"), comm + "\n");
    }

    @Test
    void noNvSwitchNoFabricManagerNeeded() {
        CheckResult result = Fixtures.run(new FabricManagerCheck(), Fixtures.hostFs("hgx-8gpu-cx7-ndr"));
        assertEquals(Status.SKIP, result.getStatus(), result.toString());
    }

    @Test
    void nvSwitchesWithoutTheDaemonFail(@TempDir Path root) throws Exception {
        nvswitchNode(root);
        process(root, 2211, "sshd");
        CheckResult result = Fixtures.run(new FabricManagerCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("error 802"), result.getSummary());
        assertTrue(result.getObserved().startsWith("4 /dev/nvidia-nvswitch nodes, 0 NVSwitch PCI functions; nv-fabricmanager not running"),
                result.getObserved());
    }

    @Test
    void theDaemonRunningAtTheDriversVersionPasses(@TempDir Path root) throws Exception {
        nvswitchNode(root);
        // comm holds 15 characters: nv-fabricmanager shows as nv-fabricmanage
        process(root, 4242, "nv-fabricmanage");
        Path status = root.resolve("var/lib/dpkg/status");
        Files.createDirectories(status.getParent());
        Files.writeString(status, "Package: nvidia-fabricmanager-535\nStatus: install ok installed\nArchitecture: amd64\n"
                + "Version: 535.183.01-1\n\nPackage: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n");
        CheckResult result = Fixtures.run(new FabricManagerCheck(), HostFs.under(root));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("pid 4242") && result.getSummary().contains("535.183.01"), result.getSummary());
        Files.writeString(status, Files.readString(status).replace("535.183.01-1", "535.161.08-1"));
        CheckResult mismatch = Fixtures.run(new FabricManagerCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, mismatch.getStatus(), mismatch.toString());
        assertTrue(mismatch.getSummary().contains("535.161.08-1 but the driver is 535.183.01"), mismatch.getSummary());
    }

    @Test
    void aContainersProcessTableCannotTell(@TempDir Path root) throws Exception {
        nvswitchNode(root);
        Files.writeString(root.resolve("proc/1/comm"), "java\n");
        CheckResult result = Fixtures.run(new FabricManagerCheck(), HostFs.under(root));
        assertEquals(Status.SKIP, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("PID 1 here is 'java'"), result.getSummary());
    }

    @Test
    void aMalformedNvidiaFunctionIsAnError(@TempDir Path root) throws Exception {
        nvswitchNode(root);
        Files.writeString(root.resolve("sys/bus/pci/devices/0000:1b:00.0/class"), "bridge\n");
        assertEquals(Status.ERROR, Fixtures.run(new FabricManagerCheck(), HostFs.under(root)).getStatus());
    }

    @Test
    void driverVersionsOfBothKernelModules() {
        assertEquals(Optional.of("535.183.01"), FabricManagerCheck.driverVersion(
                "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.183.01  Sun May 12 19:39:15 UTC 2024"));
        assertEquals(Optional.of("555.42.02"), FabricManagerCheck.driverVersion(
                "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  555.42.02  Release Build"));
    }
}
