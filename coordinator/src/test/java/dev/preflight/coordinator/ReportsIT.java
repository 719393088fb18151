package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fat jar end to end: a run writes every format, report re-renders it, diff compares it with itself. */
class ReportsIT {
    private static final Path JAR = Path.of("target", "preflight.jar");

    private record Result(int code, String out, String err) {}

    private static Result preflight(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toAbsolutePath().toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("preflight did not finish in 120 s: " + command);
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void runReportAndDiffThroughTheJar(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("reports");
        Result run = preflight(dir, "run", "--quiet", "--out", out.toString(), "--format", "json,junit,md,html");
        assertTrue(run.out().startsWith("preflight ") && run.out().lines().findFirst().orElse("").contains(": verdict "),
                "the summary leads with the verdict: " + run.out() + run.err());
        for (String file : new String[] {"preflight-report.json", "preflight-junit.xml", "preflight-report.md", "preflight-report.html"}) {
            assertTrue(Files.size(out.resolve(file)) > 0, file + "\n" + run.err());
        }
        Path report = out.resolve("preflight-report.json");
        Result rendered = preflight(dir, "report", "--from", report.toString(), "--out", dir.resolve("again").toString(),
                "--format", "md");
        assertEquals(run.code(), rendered.code(), "the same verdict, the same exit code: " + rendered.err());
        assertEquals(Files.readString(out.resolve("preflight-report.md")),
                Files.readString(dir.resolve("again").resolve("preflight-report.md")));
        Result diff = preflight(dir, "diff", "--baseline", report.toString(), report.toString());
        assertEquals(0, diff.code(), diff.out() + diff.err());
        assertTrue(diff.out().startsWith("diff: ok"), diff.out());

        Result plan = preflight(dir, "plan", "--model", "deepseek-r1", "--precision", "fp8", "--gpus-per-node", "8",
                "--gpu-memory", "80GB", "-o", "json");
        assertEquals(0, plan.code(), plan.err());
        assertTrue(plan.out().contains("\"weightBytes\": \"685000000000\"") && plan.out().contains("\"nodesNeeded\": 2"), plan.out());
    }
}
