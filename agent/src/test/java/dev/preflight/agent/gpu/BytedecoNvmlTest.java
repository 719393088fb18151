package dev.preflight.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.preflight.agent.check.GpuLimits;
import dev.preflight.agent.check.gpu.GpuCheckProbe;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.GpuSourceAttempt;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real NVML binding on a machine without a GPU driver: it must fail cleanly, naming what is missing. */
class BytedecoNvmlTest {
    @TempDir
    Path root;

    private static void assumeNoDriver() {
        for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"}) {
            assumeTrue(!Files.exists(Paths.get(dir, "libnvidia-ml.so.1")), "a GPU driver is installed here: " + dir);
        }
    }

    private static Path cacheDir() {
        return Paths.get(System.getProperty(BytedecoNvml.JAVACPP_CACHE_PROPERTY, "target/javacpp-cache"));
    }

    @Test
    void loadingWithoutTheDriverIsUnavailableNamingTheLibrary() throws Exception {
        assumeNoDriver();
        Files.createDirectories(cacheDir());
        GpuSourceException error = assertThrows(GpuSourceException.class, () -> new BytedecoNvml.Loader(cacheDir()).open());
        assertTrue(error.isUnavailable());
        assertTrue(error.getMessage().startsWith("NVML unavailable: "), error.getMessage());
        assertTrue(error.getMessage().startsWith("NVML unavailable: libnvidia-ml.so.1 cannot be loaded (cannot open shared "
                + "object file); the NVML binding needs the driver's libnvidia-ml.so.1"), error.getMessage());
    }

    @Test
    void aCacheDirectoryThatIsNotWritableIsNamed() {
        GpuSourceException error = assertThrows(GpuSourceException.class,
                () -> new BytedecoNvml.Loader(root.resolve("absent")).open());
        assertTrue(error.getMessage().contains("JavaCPP cache directory " + root.resolve("absent") + " is not a writable directory"),
                error.getMessage());
    }

    @Test
    void theRunFallsThroughToThePciBusAndGoesOn() throws Exception {
        assumeNoDriver();
        Files.createDirectories(cacheDir());
        GpuTestNode node = new GpuTestNode(root).pciBus("pci-hgx-h100-8gpu.tsv", "nvidia");
        GpuSources gpu = GpuSources.builder()
                .javacppCacheDir(cacheDir())
                .nvidiaSmi(root.resolve("bin/absent-nvidia-smi").toString())
                .build();
        GpuInventory inventory = new GpuInventoryProbe(node.fs(), gpu, Clock.systemUTC()).take();

        assertEquals("pci", inventory.getSource());
        assertEquals(GpuSourceAttempt.Outcome.UNAVAILABLE, inventory.getAttempts(0).getOutcome());
        assertTrue(inventory.getAttempts(0).getDetail().startsWith("NVML unavailable: "), inventory.getAttempts(0).getDetail());
        assertEquals(GpuSourceAttempt.Outcome.UNAVAILABLE, inventory.getAttempts(1).getOutcome());
        assertEquals(GpuSourceAttempt.Outcome.USED, inventory.getAttempts(2).getOutcome());
        assertEquals(8, inventory.getGpusCount());
        assertEquals("H100 SXM5 80GB", inventory.getGpus(0).getName());

        Map<String, CheckResult> results = GpuCheckProbe.run(node.fs(), gpu, GpuLimits.defaults());
        assertEquals(CheckResult.Status.FAIL, results.get("gpu.present").getStatus());
        assertTrue(results.get("gpu.present").getSummary().contains("NVML unavailable: "), results.get("gpu.present").getSummary());
        assertEquals(11, results.size(), "every gpu.* check ran");
    }
}
