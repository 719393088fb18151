package dev.preflight.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.check.GpuLimits;
import dev.preflight.agent.check.gpu.GpuCheckProbe;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.GpuSourceAttempt;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nvidia-smi through a fake executable that prints real captured output. */
class NvidiaSmiInventoryTest {
    @TempDir
    Path root;

    private GpuInventory read(String roster, String log) throws Exception {
        Path script = new GpuTestNode(root).fakeNvidiaSmi();
        return new NvidiaSmiInventory(ScriptEnvironment.wrap(script, root, GpuTestNode.fixture(roster), GpuTestNode.fixture(log)),
                Duration.ofSeconds(20)).read();
    }

    @Test
    void theA100MigLogIsReadWhole() throws Exception {
        GpuInventory inventory = read("roster-a100-sxm4-40gb-mig.csv", "q-x-a100-sxm4-40gb-mig-510.47.03.xml");
        assertEquals("510.47.03", inventory.getDriverVersion());
        assertEquals("11.6", inventory.getCudaDriverVersion());
        assertEquals(1, inventory.getGpusCount());
        Gpu gpu = inventory.getGpus(0);
        assertEquals(0, gpu.getIndex());
        assertEquals("0000:00:04.0", gpu.getPciBusId());
        assertEquals(0x20b0, gpu.getPciDeviceId());
        assertEquals(40960L << 20, gpu.getMemoryTotalBytes());
        assertTrue(gpu.getMigEnabled());
        assertEquals(2, gpu.getMigDevices());
        assertTrue(gpu.getEcc().getEnabled());
        assertEquals(0, gpu.getEcc().getAggregateUncorrected());
        assertTrue(!gpu.getEcc().hasVolatileCorrected(), "volatile counters are N/A in this capture");
        assertEquals(4, gpu.getPcie().getMaxGeneration());
        assertEquals(16, gpu.getPcie().getCurrentWidth());
        assertEquals(36, gpu.getTemperatureC());
        assertEquals(66.92, gpu.getPowerDrawWatts(), 1e-9);
        assertEquals(400.0, gpu.getPowerLimitWatts(), 1e-9);
        assertTrue(!gpu.hasRowRemap(), "remapped_rows is N/A under MIG");
        assertTrue(gpu.getProcessesKnown());
        assertEquals(0, gpu.getProcessesCount());
    }

    @Test
    void aLogWithFewerGpusThanAttachedIsAFailureNamingBoth() {
        GpuSourceException error = assertThrows(GpuSourceException.class,
                () -> read("roster-a100-sxm4-80gb-mig.csv", "q-x-a100-sxm4-80gb-mig-535.54.03.xml"));
        assertTrue(!error.isUnavailable());
        assertTrue(error.getMessage().contains("expected the 4 that <attached_gpus> states"), error.getMessage());
        assertTrue(error.getMessage().contains("'1 <gpu> element(s)'"), error.getMessage());
    }

    @Test
    void truncatedOutputIsAParseFailureNotACrash() {
        GpuSourceException cut = assertThrows(GpuSourceException.class,
                () -> read("roster-a100-sxm4-40gb-mig.csv", "q-x-a100-sxm4-40gb-mig-510.47.03-cut.xml"));
        assertTrue(cut.getMessage().startsWith("nvidia-smi output did not parse: malformed "), cut.getMessage());
        assertTrue(cut.getMessage().contains("XML document structures must start and end within the same entity"), cut.getMessage());

        GpuSourceException text = assertThrows(GpuSourceException.class,
                () -> read("roster-h100-hgx-8gpu.csv", "q-h100-535.183.01-truncated.txt"));
        assertTrue(text.getMessage().contains("expected well-formed XML"), text.getMessage());
        assertTrue(text.getMessage().contains("==============NVSMI LOG=============="), text.getMessage());
    }

    @Test
    void aMissingNvidiaSmiIsUnavailableAndSaysSo() {
        GpuSourceException error = assertThrows(GpuSourceException.class,
                () -> new NvidiaSmiInventory(root.resolve("nvidia-smi").toString(), Duration.ofSeconds(5)).read());
        assertTrue(error.isUnavailable());
        assertTrue(error.getMessage().startsWith("nvidia-smi unavailable: cannot run '" + root.resolve("nvidia-smi")
                + "' (not found)"), error.getMessage());
    }

    @Test
    void theTruncatedLogFallsThroughToThePciBusAndTheChecksRun() throws Exception {
        GpuTestNode node = new GpuTestNode(root.resolve("node")).pciBus("pci-hgx-h100-8gpu.tsv", "nvidia");
        Path script = node.fakeNvidiaSmi();
        String wrapper = ScriptEnvironment.wrap(script, root, GpuTestNode.fixture("roster-h100-hgx-8gpu.csv"),
                GpuTestNode.fixture("q-h100-535.183.01-truncated.txt"));
        GpuSources gpu = GpuSources.builder()
                .nvmlLoader(() -> {
                    throw GpuSourceException.unavailable("NVML unavailable: libcuda.so.1 cannot be loaded");
                })
                .nvidiaSmi(wrapper)
                .build();
        GpuInventory inventory = new GpuInventoryProbe(node.fs(), gpu, Clock.systemUTC()).take();
        assertEquals("pci", inventory.getSource());
        assertEquals(GpuSourceAttempt.Outcome.FAILED, inventory.getAttempts(1).getOutcome());
        assertTrue(inventory.getAttempts(1).getDetail().contains("did not parse"), inventory.getAttempts(1).getDetail());
        Map<String, dev.preflight.proto.v1.CheckResult> results = GpuCheckProbe.run(node.fs(), gpu,
                GpuLimits.defaults());
        assertEquals(dev.preflight.proto.v1.CheckResult.Status.FAIL, results.get("gpu.present").getStatus());
        assertTrue(results.get("gpu.present").getSummary().contains("nvidia-smi output did not parse"),
                results.get("gpu.present").getSummary());
    }
}
