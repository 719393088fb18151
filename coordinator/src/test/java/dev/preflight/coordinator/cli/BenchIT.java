package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The fat jar benches through its own `preflight worker` processes, with the fake CUDA runtime and NCCL. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BenchIT {
    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private Run preflight(Map<String, String> env, String... args) throws IOException, InterruptedException {
        String fake = System.getProperty("preflight.fake.dir");
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", System.getProperty("preflight.jar"), "bench",
                "--cudart-lib", Paths.get(fake, "libfakecudart.so").toString(),
                "--nccl-lib", Paths.get(fake, "libfakenccl.so").toString(),
                "--bench-lock-dir", dir.resolve("lock").toString(), "--bench-dir", dir.resolve("work").toString(),
                "--out", dir.resolve("out").toString()));
        command.addAll(Arrays.asList(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(dir.resolve("stderr.txt").toFile());
        builder.environment().put("FAKE_CUDA_DEVICE_COUNT", "4");
        builder.environment().putAll(env);
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(150, TimeUnit.SECONDS), "preflight bench did not finish");
        return new Run(process.exitValue(), out, Files.readString(dir.resolve("stderr.txt")));
    }

    @Test
    void theJarBenchesFourGpusThroughItsWorkerSubcommand() throws Exception {
        Run run = preflight(Map.of(), "--op", "reduce_scatter,sendrecv", "--min-bytes", "1K", "--max-bytes", "64K",
                "--step-factor", "8", "--iters", "5");
        assertEquals(0, run.exit(), run.err() + run.out());
        assertTrue(run.out().contains("# reduce_scatter float32 on 4 ranks"), run.out());
        assertTrue(run.out().contains("       65536          4096     float     sum      -1"), run.out());
        assertTrue(run.out().contains("verdict VIABLE"), run.out());
    }

    @Test
    void aHangingRankFailsTheBenchAtItsDeadline() throws Exception {
        Run run = preflight(Map.of("FAKE_NCCL_FAULT_HANG", "2:4"), "--max-bytes", "1K", "--timeout", "5s");
        assertEquals(ExitCodes.NOT_VIABLE, run.exit(), run.err() + run.out());
        assertTrue(run.out().contains("FAIL  nccl.all_reduce.float32"), run.out());
        assertTrue(run.out().contains("# TIMEOUT in ncclAllReduce"), run.out());
    }
}
