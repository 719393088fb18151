package dev.preflight.agent.check.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.check.GpuLimits;
import dev.preflight.agent.gpu.FakeNvml;
import dev.preflight.agent.gpu.GpuSourceException;
import dev.preflight.agent.gpu.GpuSources;
import dev.preflight.agent.gpu.GpuTestNode;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gpu.* checks on nodes scripted from real captures, through the FakeNvml and the PCI bus fixture. */
class GpuChecksTest {
    @TempDir
    Path root;

    private Map<String, CheckResult> runGpuChecks(HostFs fs, GpuSources sources) {
        return runGpuChecks(fs, sources, GpuLimits.defaults());
    }

    private Map<String, CheckResult> runGpuChecks(HostFs fs, GpuSources sources, GpuLimits limits) {
        return GpuCheckProbe.run(fs, sources, limits);
    }

    private static void assertStatus(Status expected, CheckResult result) {
        assertEquals(expected, result.getStatus(), result.getId() + ": " + result.getSummary());
    }

    private HostFs hgxNode() throws Exception {
        return new GpuTestNode(root).pciBus("pci-hgx-h100-8gpu.tsv", "nvidia").fs();
    }

    @Test
    void theCapturedH100HgxNodePassesExceptItsPowerBrakeSlowdown() throws Exception {
        Map<String, CheckResult> results = runGpuChecks(hgxNode(),
                GpuSources.builder().nvmlLoader(FakeNvml.h100Hgx().loader()).build(), GpuLimits.builder().expectGpus(8).build());

        for (String id : List.of("gpu.present", "gpu.count", "gpu.ecc", "gpu.row_remap", "gpu.nvlink", "gpu.p2p",
                "gpu.pcie", "gpu.mode", "gpu.fabric", "gpu.busy")) {
            assertStatus(Status.PASS, results.get(id));
        }
        CheckResult thermal = results.get("gpu.thermal");
        assertStatus(Status.WARN, thermal);
        assertTrue(thermal.getSummary().contains("hw_power_brake_slowdown"), thermal.getSummary());
        assertTrue(results.get("gpu.present").getEvidence(0).getValue().startsWith("source: nvml, 8 GPU(s), 8 on the PCI bus"),
                results.get("gpu.present").getEvidence(0).getValue());
    }

    @Test
    void anInactiveNvlinkFailsNamingTheGpuAndLink() throws Exception {
        FakeNvml nvml = FakeNvml.h100Hgx();
        nvml.gpu(3).inactiveLink(7);
        CheckResult nvlink = runGpuChecks(hgxNode(), GpuSources.builder().nvmlLoader(nvml.loader()).build()).get("gpu.nvlink");
        assertStatus(Status.FAIL, nvlink);
        assertEquals("GPU 3 (0000:5d:00.0): NVLink [7] inactive", nvlink.getSummary());
    }

    @Test
    void aLoneH200WithNoActiveNvlinkIsNotAnNvlinkFault() throws Exception {
        Map<String, CheckResult> results = runGpuChecks(new GpuTestNode(root).fs(),
                GpuSources.builder().nvmlLoader(FakeNvml.h200Alone().loader()).build());
        CheckResult nvlink = results.get("gpu.nvlink");
        assertStatus(Status.SKIP, nvlink);
        assertEquals("1 GPU on this node and none of its NVLinks active: no peer GPU or NVSwitch to link to",
                nvlink.getSummary());
        assertEquals("gpu0 0/18", nvlink.getObserved());
    }

    @Test
    void aLoneGpuWithSomeLinksUpAndOthersDownStillFails() throws Exception {
        FakeNvml nvml = FakeNvml.h200Alone();
        nvml.gpu(0).activeLink(0);
        CheckResult nvlink = runGpuChecks(new GpuTestNode(root).fs(), GpuSources.builder().nvmlLoader(nvml.loader()).build())
                .get("gpu.nvlink");
        assertStatus(Status.FAIL, nvlink);
    }

    @Test
    void aPendingRowRemapFailsAndEccCountsAreReported() throws Exception {
        HostFs fs = new GpuTestNode(root).fs();
        Map<String, CheckResult> results = runGpuChecks(fs,
                GpuSources.builder().nvmlLoader(FakeNvml.a100RemapPending().loader()).build());
        CheckResult remap = results.get("gpu.row_remap");
        assertStatus(Status.FAIL, remap);
        assertTrue(remap.getSummary().contains("GPU 0 (0000:10:1c.0) has a row remap pending"), remap.getSummary());
        assertStatus(Status.PASS, results.get("gpu.ecc"));
        assertTrue(results.get("gpu.ecc").getObserved().contains("corrected 177"), results.get("gpu.ecc").getObserved());
        assertStatus(Status.SKIP, results.get("gpu.fabric"));
        assertStatus(Status.SKIP, results.get("gpu.count"));
    }

    @Test
    void migOnFailsUnlessAllowed() throws Exception {
        FakeNvml nvml = FakeNvml.h100Hgx();
        nvml.gpu(0).mig(true);
        CheckResult mode = runGpuChecks(hgxNode(), GpuSources.builder().nvmlLoader(nvml.loader()).build()).get("gpu.mode");
        assertStatus(Status.FAIL, mode);
        assertTrue(mode.getSummary().contains("GPU 0 (0000:19:00.0) has MIG enabled"), mode.getSummary());

        FakeNvml allowed = FakeNvml.h100Hgx();
        allowed.gpu(0).mig(true);
        CheckResult allowedMode = runGpuChecks(new GpuTestNode(root.resolve("allowed")).fs(),
                GpuSources.builder().nvmlLoader(allowed.loader()).build(), GpuLimits.builder().allowMig(true).build()).get("gpu.mode");
        assertStatus(Status.WARN, allowedMode);
    }

    @Test
    void aProcessHoldingAGpuIsNamedThroughTheHostProc() throws Exception {
        FakeNvml nvml = FakeNvml.h100Hgx();
        nvml.gpu(5).process(48213, 71L << 30);
        HostFs fs = new GpuTestNode(root).pciBus("pci-hgx-h100-8gpu.tsv", "nvidia").file("proc/48213/comm", "python3").fs();
        CheckResult busy = runGpuChecks(fs, GpuSources.builder().nvmlLoader(nvml.loader()).build()).get("gpu.busy");
        assertStatus(Status.FAIL, busy);
        assertEquals("GPU 5 (0000:bb:00.0) held by host pid 48213 (python3), 71 GiB", busy.getSummary());
    }

    @Test
    void aGpuOnTheBusThatTheDriverLostFailsPresentAndCount() throws Exception {
        FakeNvml withSeven = FakeNvml.h100Hgx().lose(6);
        Map<String, CheckResult> results = runGpuChecks(hgxNode(),
                GpuSources.builder().nvmlLoader(withSeven.loader()).build(), GpuLimits.builder().expectGpus(8).build());
        assertStatus(Status.FAIL, results.get("gpu.present"));
        assertTrue(results.get("gpu.present").getSummary().contains("0000:cb:00.0 (H100 SXM5 80GB)"),
                results.get("gpu.present").getSummary());
        assertStatus(Status.FAIL, results.get("gpu.count"));
        assertEquals("7 GPU(s) visible to nvml, expected 8", results.get("gpu.count").getSummary());
    }

    @Test
    void eightGpusOnTheBusWithNoDriverIsAFindingNotACrash() throws Exception {
        HostFs fs = new GpuTestNode(root).pciBus("pci-hgx-h100-8gpu.tsv", "").fs();
        Path missing = root.resolve("no-such-nvidia-smi");
        Map<String, CheckResult> results = runGpuChecks(fs, GpuSources.builder()
                .nvmlLoader(() -> {
                    throw GpuSourceException.unavailable("NVML unavailable: libcuda.so.1 cannot be loaded");
                })
                .nvidiaSmi(missing.toString())
                .build(), GpuLimits.builder().expectGpus(8).build());
        CheckResult present = results.get("gpu.present");
        assertStatus(Status.FAIL, present);
        assertTrue(present.getSummary().startsWith("8 NVIDIA GPU(s) on the PCI bus, but no driver answered: NVML unavailable: libcuda.so.1"),
                present.getSummary());
        assertTrue(present.getObserved().contains("0000:19:00.0 no driver bound"), present.getObserved());
        assertStatus(Status.PASS, results.get("gpu.count"));
        assertStatus(Status.PASS, results.get("gpu.pcie"));
        assertStatus(Status.SKIP, results.get("gpu.ecc"));
        String evidence = present.getEvidence(0).getValue();
        assertTrue(evidence.contains("nvml unavailable"), evidence);
        assertTrue(evidence.contains("nvidia-smi unavailable"), evidence);
        assertTrue(evidence.contains("pci used"), evidence);
    }

    @Test
    void aNodeWithNoGpuAtAllCannotServeAndTheOtherChecksSkip() throws Exception {
        HostFs fs = new GpuTestNode(root).fs();
        Map<String, CheckResult> results = runGpuChecks(fs, GpuSources.builder()
                .nvmlLoader(() -> {
                    throw GpuSourceException.unavailable("NVML unavailable: libcuda.so.1 cannot be loaded");
                })
                .nvidiaSmi(root.resolve("no-such-nvidia-smi").toString())
                .build());
        CheckResult present = results.get("gpu.present");
        assertStatus(Status.FAIL, present);
        assertTrue(present.getSummary().startsWith("no NVIDIA GPU on this node"), present.getSummary());
        assertTrue(present.getRemediation().contains("lspci -d 10de:"), present.getRemediation());
        assertStatus(Status.SKIP, results.get("gpu.ecc"));
        assertStatus(Status.SKIP, results.get("gpu.nvlink"));
    }
}
