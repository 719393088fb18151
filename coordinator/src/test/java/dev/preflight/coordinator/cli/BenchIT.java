package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
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
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
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

    /**
     * A rank that hangs and whose ncclCommAbort hangs too is killed by the deadline, not after it
     * (the class's timeout is only the guard against a hang of the test itself).
     */
    @Test
    @Tag("slow")
    void aHangWhoseAbortHangsTooIsKilledByTheDeadlineAndNamed() throws Exception {
        Run run = preflight(Map.of("FAKE_NCCL_FAULT_HANG", "0:3", "FAKE_NCCL_FAULT_ABORT_HANG", "0"),
                "--gpus", "0,1", "--max-bytes", "1K", "--timeout", "10s");
        assertEquals(ExitCodes.NOT_VIABLE, run.exit(), run.err() + run.out());
        assertTrue(run.out().contains("FAIL  nccl.all_reduce.float32"), run.out());
        assertTrue(KILLED.matcher(run.out()).find(), run.out());

        PreflightReport report = JsonReport.read(dir.resolve("out").resolve(JsonReport.FILE_NAME));
        CollectiveResult result = report.getCollectives(0).getResults(0);
        assertEquals(CollectiveResult.Outcome.TIMEOUT, result.getOutcome(), result.getError());
        assertEquals(List.of(0, 1), result.getFailedRanksList());
        assertTrue(KILLED.matcher(result.getError()).find(), result.getError());
        // the collectives got what starting the workers left of the 10 s, the graces inside it
        assertTrue(report.getCollectives(0).getSpec().getTimeout().getSeconds() < 10,
                report.getCollectives(0).getSpec().toString());
    }

    private static final Pattern KILLED = Pattern.compile(
            "rank\\(s\\) 0 did not return from the abort within 0\\.\\d s and were killed");
}
