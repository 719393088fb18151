package dev.preflight.agent.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.NvLink;
import dev.preflight.proto.v1.P2pPair;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real org.bytedeco NVML binding against the strict fake libnvidia-ml.so.1 (native's test
 * build, scripted from the real 8x H100 capture), in a JVM whose library path holds that fake and
 * nothing else: no CUDA runtime and no libcuda.so.1, as on a node with only the driver's NVML (or
 * with only CUDA 13, whose runtime the CUDA 12.9 binding could not use either).
 */
class BytedecoNvmlFakeDriverTest {
    private static final Path ROSTER = Paths.get("src/test/fixtures/gpu/roster-h100-hgx-8gpu.csv");
    /** "Replays Since Reset" of GPUs 0-7 in h100-hgx-8gpu-nvidia-smi-q-535.161.08.txt. */
    private static final int[] REPLAYS = {67, 63, 52, 43, 49, 53, 82, 67};
    /** "GPU Current Temp" and "Power Draw" of GPUs 0-7 in the same capture. */
    private static final int[] TEMPERATURES = {29, 29, 30, 30, 31, 32, 32, 31};
    private static final double[] POWER_WATTS = {67.74, 69.52, 70.55, 71.37, 70.33, 70.21, 71.05, 72.27};

    @TempDir
    Path dir;

    private record Child(int exit, String stdout, String stderr, GpuInventory inventory) {}

    private Child run(String mode, Map<String, String> extraEnv) throws Exception {
        Path fakeNvml = Paths.get(System.getProperty("preflight.fake.dir"), "nvml");
        assertTrue(Files.isRegularFile(fakeNvml.resolve("libnvidia-ml.so.1")), "native's test build makes " + fakeNvml);
        Path cache = Files.createDirectories(dir.resolve("javacpp-cache"));
        Path inventory = dir.resolve("inventory.pb");
        Path stdout = dir.resolve("stdout");
        Path stderr = dir.resolve("stderr");
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), FakeDriverNvmlMain.class.getName(),
                cache.toString(), inventory.toString(), mode));
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().put("LD_LIBRARY_PATH", fakeNvml.toString());
        builder.environment().putAll(extraEnv);
        Process process = builder.start();
        try {
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the child JVM finished within 120 s");
        } finally {
            process.destroyForcibly();
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), err);
        return new Child(process.exitValue(), Files.readString(stdout, StandardCharsets.UTF_8), err,
                GpuInventory.parseFrom(Files.readAllBytes(inventory)));
    }

    private static List<String[]> roster() throws IOException {
        List<String[]> rows = new ArrayList<>();
        for (String line : Files.readAllLines(ROSTER)) {
            rows.add(line.split(", "));
        }
        return rows;
    }

    @Test
    void theRealBindingReadsTheWholeInventoryWithNoCudaRuntimeOrLibcuda() throws Exception {
        Child child = run("inventory", Map.of());

        GpuInventory inventory = child.inventory();
        assertEquals("535.161.08", inventory.getDriverVersion());
        assertEquals("12.2", inventory.getCudaDriverVersion());
        assertEquals(List.of(), inventory.getUnavailableList(), "every fact was read");
        List<String[]> roster = roster();
        assertEquals(roster.size(), inventory.getGpusCount());
        for (int i = 0; i < roster.size(); i++) {
            Gpu gpu = inventory.getGpus(i);
            String[] row = roster.get(i);
            assertEquals(Integer.parseInt(row[0]), gpu.getIndex());
            assertEquals(PciBusIds.normalize(row[1]), gpu.getPciBusId());
            assertEquals(row[2], gpu.getUuid());
            assertEquals(row[3], gpu.getName());
            assertEquals(0x2330, gpu.getPciDeviceId());
            assertEquals(81559L << 20, gpu.getMemoryTotalBytes());
            assertTrue(gpu.getEcc().getEnabled());
            assertEquals(0, gpu.getEcc().getAggregateUncorrected());
            assertFalse(gpu.getRowRemap().getPending());
            assertEquals(18, gpu.getNvlinksCount());
            assertTrue(gpu.getNvlinksList().stream().allMatch(NvLink::getActive));
            assertEquals(5, gpu.getPcie().getCurrentGeneration());
            assertEquals(5, gpu.getPcie().getDeviceMaxGeneration());
            assertEquals(16, gpu.getPcie().getCurrentWidth());
            assertEquals(REPLAYS[i], gpu.getPcie().getReplays());
            assertEquals("DEFAULT", gpu.getComputeMode());
            assertFalse(gpu.getMigEnabled());
            assertTrue(gpu.getPersistenceMode());
            assertEquals("COMPLETED", gpu.getFabric().getState(), "read through the older fabric call");
            assertEquals(TEMPERATURES[i], gpu.getTemperatureC());
            assertEquals(POWER_WATTS[i], gpu.getPowerDrawWatts(), 1e-9);
            assertEquals(700.0, gpu.getPowerLimitWatts(), 1e-9);
            assertEquals(List.of("hw_slowdown", "hw_power_brake_slowdown"), gpu.getClockEventReasonsList());
            assertTrue(gpu.getProcessesKnown());
            assertEquals(0, gpu.getProcessesCount());
        }
        assertEquals(28, inventory.getP2PCount());
        assertTrue(inventory.getP2PList().stream().map(P2pPair::getStatus).allMatch("OK"::equals));

        assertFalse(child.stderr().contains("fake NVML: misuse"), child.stderr());
        assertTrue(child.stdout().contains("mapped " + Paths.get(System.getProperty("preflight.fake.dir"), "nvml",
                "libnvidia-ml.so.1").toRealPath()), child.stdout());
        for (String line : child.stdout().split("\n")) {
            assertFalse(line.matches("mapped .*/lib(cudart|cuda|jnicudart)\\.so.*"), "nothing of CUDA is loaded: " + line);
        }
    }

    @Test
    void aLostGpuIsNamedAndTheOthersAreRead() throws Exception {
        GpuInventory inventory = run("inventory", Map.of("FAKE_NVML_LOST", "3")).inventory();

        assertEquals(7, inventory.getGpusCount());
        assertFalse(inventory.getGpusList().stream().anyMatch(gpu -> gpu.getIndex() == 3));
        assertTrue(inventory.getUnavailableList().contains("GPU 3: nvmlDeviceGetHandleByIndex_v2: GPU is lost (NVML error 15)"),
                inventory.getUnavailableList().toString());
    }

    @Test
    void theFakeIsStrictAboutInitHandlesAndBufferSizes() throws Exception {
        Child child = run("misuse", Map.of());

        assertTrue(child.stdout().contains("afterShutdown=1\n"), "NVML_ERROR_UNINITIALIZED after nvmlShutdown: " + child.stdout());
        assertTrue(child.stdout().contains("init=0\n"), child.stdout());
        assertTrue(child.stdout().contains("smallBuffer=7\n"), "NVML_ERROR_INSUFFICIENT_SIZE: " + child.stdout());
        assertTrue(child.stdout().contains("nullHandle=2\n"), "NVML_ERROR_INVALID_ARGUMENT: " + child.stdout());
        assertTrue(child.stdout().contains("shutdown=0\n"), child.stdout());
        assertTrue(child.stderr().contains("fake NVML: misuse: nvmlDeviceGetCount_v2: called before nvmlInit_v2"), child.stderr());
        assertTrue(child.stderr().contains("fake NVML: misuse: nvmlSystemGetDriverVersion: buffer of 4 bytes"), child.stderr());
        assertTrue(child.stderr().contains("fake NVML: misuse: nvmlDeviceGetName: "), child.stderr());
    }
}
