package dev.preflight.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import java.util.List;
import org.junit.jupiter.api.Test;

class NvmlInventoryTest {

    @Test
    void readsEveryFactOfTheEightH100HgxNode() throws Exception {
        FakeNvml nvml = FakeNvml.h100Hgx();
        GpuInventory inventory = new NvmlInventory(nvml.loader()).read();
        assertEquals("535.161.08", inventory.getDriverVersion());
        assertEquals("12.2", inventory.getCudaDriverVersion());
        assertEquals(8, inventory.getGpusCount());
        Gpu first = inventory.getGpus(0);
        assertEquals("0000:19:00.0", first.getPciBusId());
        assertEquals(0x2330, first.getPciDeviceId());
        assertEquals("GPU-ee7954ec-da95-fd7a-ddfd-c6b32cc2f8aa", first.getUuid());
        assertEquals(81559L << 20, first.getMemoryTotalBytes());
        assertEquals(18, first.getNvlinksCount());
        assertTrue(first.getNvlinksList().stream().allMatch(link -> link.getActive()));
        assertEquals("COMPLETED", first.getFabric().getState());
        assertEquals(List.of("hw_slowdown", "hw_power_brake_slowdown"), first.getClockEventReasonsList());
        assertEquals(67.74, first.getPowerDrawWatts(), 1e-9);
        assertEquals(67, first.getPcie().getReplays());
        assertEquals("DEFAULT", first.getComputeMode());
        assertFalse(first.getMigEnabled());
        assertTrue(first.getProcessesKnown());
        assertEquals("0000:db:00.0", inventory.getGpus(7).getPciBusId());
        assertEquals(28, inventory.getP2PCount(), "every pair of 8 GPUs");
        assertTrue(inventory.getUnavailableList().isEmpty(), inventory.getUnavailableList().toString());
        assertTrue(nvml.closed, "nvmlShutdown after the inventory");
    }

    @Test
    void functionsAnOldDriverLacksAreNeverCalledAndTheOlderVariantIsUsed() throws Exception {
        FakeNvml nvml = FakeNvml.a100RemapPending()
                .without("nvmlDeviceGetComputeRunningProcesses_v3")
                .without("nvmlSystemGetCudaDriverVersion_v2");
        GpuInventory inventory = new NvmlInventory(nvml.loader()).read();

        assertEquals("11.6", inventory.getCudaDriverVersion(), "from nvmlSystemGetCudaDriverVersion");
        assertTrue(nvml.calls.contains("nvmlDeviceGetComputeRunningProcesses"));
        assertTrue(nvml.calls.contains("nvmlDeviceGetCurrentClocksThrottleReasons"));
        Gpu gpu = inventory.getGpus(0);
        assertFalse(gpu.hasFabric(), "no fabric function in this driver: fact left unset");
        assertTrue(gpu.getRowRemap().getPending());
        assertEquals(177, gpu.getEcc().getAggregateCorrected());
        assertTrue(inventory.getUnavailableList().stream().anyMatch(
                line -> line.contains("fabric") && line.contains("nvmlDeviceGetGpuFabricInfo")), inventory.getUnavailableList().toString());
    }

    @Test
    void aLostGpuIsLeftOutWithTheReasonAndTheOthersAreRead() throws Exception {
        FakeNvml lost = FakeNvml.h100Hgx().lose(2);
        GpuInventory inventory = new NvmlInventory(lost.loader()).read();
        assertEquals(7, inventory.getGpusCount());
        assertTrue(inventory.getUnavailableList().contains("GPU 2: nvmlDeviceGetHandleByIndex_v2: GPU is lost (NVML error 15)"),
                inventory.getUnavailableList().toString());
    }
}
