package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** perf/gpu-validation.sh --tables over the real outputs of the H200 validation run. */
class GpuValidationTablesTest {
    private static final Path SCRIPT = Paths.get("../perf/gpu-validation.sh");

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private Result tables(Path results) throws Exception {
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process process = new ProcessBuilder("bash", SCRIPT.toString(), "--tables", results.toString())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the script finished within 60 s");
        } finally {
            process.destroyForcibly();
        }
        return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void theInventoryOfEachSourceIsSetAgainstNvidiaSmi() throws Exception {
        Result result = tables(TestFixtures.tree("gpu-validation-h200"));
        assertEquals(0, result.exit(), result.err());
        String out = result.out();
        assertTrue(out.contains("| fact | nvidia-smi -q | run-nvml | run-pci |\n"), out);
        assertTrue(out.contains("| source used | - | nvml | pci |\n"), out);
        assertTrue(out.contains("| GPU0 UUID | GPU-969f7a82-67be-cdaf-6480-40858065ba04 | GPU-969f7a82-67be-cdaf-6480-40858065ba04 | - |\n"),
                out);
        assertTrue(out.contains("| GPU0 bus id | 0000:00:06.0 | 0000:00:06.0 | 0000:00:06.0 |\n"), out);
        assertTrue(out.contains("| GPU0 memory (MiB) | 143771 | 143771 | - |\n"), out);
        // the PCI source names the part from pci.ids: a difference, marked
        assertTrue(out.contains("| GPU0 name | NVIDIA H200 | NVIDIA H200 | H200 SXM 141GB (differs) |\n"), out);
        // live readings are shown, never marked
        assertTrue(out.contains("| GPU0 power draw (W) | 76.69 | 76.557 | - |\n"), out);
    }

    @Test
    void eachSizeIsSetAgainstNcclTestsWithTheRatio() throws Exception {
        String out = tables(TestFixtures.tree("gpu-validation-h200")).out();
        assertTrue(out.contains("Reference: `nccl-tests version 2.19.6 nccl-headers=22803 nccl-library=22803`."), out);
        assertTrue(out.contains("| 256 MiB | 128.8 | 128.93 | 0.999 | 2084.58 | 2082.1 | 1.32 | 0.90 | 1.467 |\n"), out);
        assertTrue(out.contains("| 8 B | 87.06 | 8.04 | 10.828 | 0.00 | 0.00 | 35.56 | 1.36 | 26.147 |\n"), out);
        assertTrue(out.contains("Out-of-place, 1 MiB and up: 13 of 14 sizes within 3% of nccl-tests; largest difference "
                + "4.4% (at 8 MiB).\n"), out);
        assertTrue(out.contains("Out-of-place, 1 MiB and up: 5 of 14 sizes within 3% of nccl-tests"), out);
        assertEquals(4, out.split("#### ", -1).length - 1, "all_reduce and sendrecv, with and without graphs");
    }

    @Test
    void aDirectoryWithoutTheOutputsIsRefusedInOneLine() throws Exception {
        Result result = tables(dir);
        assertEquals(2, result.exit());
        assertEquals("gpu-validation.sh: --tables " + dir + ": no nvidia-smi-q.txt (expected the results of a validation "
                + "run)\n", result.err());
        Result missing = tables(dir.resolve("absent"));
        assertEquals("gpu-validation.sh: --tables " + dir.resolve("absent") + ": not a directory\n", missing.err());
    }

    @Test
    void withoutNcclTestsOutputTheTablesSaySo() throws Exception {
        Path partial = Files.createDirectories(dir.resolve("partial"));
        Path fixture = TestFixtures.tree("gpu-validation-h200");
        Files.copy(fixture.resolve("nvidia-smi-q.txt"), partial.resolve("nvidia-smi-q.txt"));
        Files.copy(fixture.resolve("bench.txt"), partial.resolve("bench.txt"));
        String out = tables(partial).out();
        assertTrue(out.contains("No nccl-tests output (nt-all_reduce.txt): nothing to compare with."), out);
        assertTrue(out.contains("No preflight bench output (bench-graph.txt)."), out);
    }
}
