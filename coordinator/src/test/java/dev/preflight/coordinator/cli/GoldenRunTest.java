package dev.preflight.coordinator.cli;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.Checks;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.util.JsonFormat;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResults;
import dev.preflight.proto.v1.Evidence;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: {@code preflight run --sysfs … --procfs … --devfs … --rootfs …} on the 8-GPU fixture
 * node, its JSON checks diffed against a golden file. Run with -Dpreflight.golden.update=true (or
 * PREFLIGHT_GOLDEN_UPDATE=1) to regenerate it after an intended change, and review the diff.
 * Durations, the fixture's location and free-space figures of the build machine are normalised.
 */
class GoldenRunTest {
    static final Path FIXTURE = Path.of("../agent/src/test/fixtures/hgx-8gpu-cx7-ndr").toAbsolutePath().normalize();
    static final Path GOLDEN = Path.of("src/test/resources/golden/hgx-8gpu-cx7-ndr.checks.json");

    @Test
    void theEightGpuNodesChecksMatchTheGoldenFile(@TempDir Path out) throws Exception {
        assumeTrue(System.getenv().keySet().stream().noneMatch(name -> name.toUpperCase(Locale.ROOT).startsWith("NCCL_")),
                "the embedded agent judges its own NCCL_* environment, and this one sets some");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        // the gpu.* checks ask the driver, which a fixture tree cannot hold (GpuChecksTest covers them)
        String nodeChecks = Checks.standard().all().stream().map(Check::id).filter(id -> !id.startsWith("gpu."))
                .collect(Collectors.joining(","));
        int exit = Main.execute(new PrintWriter(stdout), new PrintWriter(stderr), "run",
                "--procfs", FIXTURE.resolve("proc").toString(), "--sysfs", FIXTURE.resolve("sys").toString(),
                "--devfs", FIXTURE.resolve("dev").toString(), "--rootfs", FIXTURE.toString(),
                "--checks", nodeChecks, "--out", out.toString(), "--quiet");
        assertEquals(ExitCodes.VIABLE, exit, stderr.toString() + stdout);
        PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
        assertEquals("gpu-node-07", report.getNodes(0).getNodeName());
        String actual = normalise(report);
        if (Boolean.getBoolean("preflight.golden.update") || "1".equals(System.getenv("PREFLIGHT_GOLDEN_UPDATE"))) {
            Files.createDirectories(GOLDEN.getParent());
            Files.writeString(GOLDEN, actual);
        }
        assertEquals(Files.readString(GOLDEN), actual, "regenerate with -Dpreflight.golden.update=true if the change is intended");
    }

    static String normalise(PreflightReport report) throws Exception {
        CheckResults.Builder checks = CheckResults.newBuilder();
        String root = FIXTURE.toString();
        for (CheckResult check : report.getNodes(0).getChecksList()) {
            CheckResult.Builder result = check.toBuilder().setDurationMicros(0)
                    .setSummary(text(check.getSummary(), root))
                    .setObserved(text(check.getObserved(), root));
            result.clearEvidence();
            for (Evidence evidence : check.getEvidenceList()) {
                String source = text(evidence.getSource(), root);
                String value = source.startsWith("statvfs(") ? "(this machine's figures)" : text(evidence.getValue(), root);
                result.addEvidence(Evidence.newBuilder().setSource(source).setValue(value));
            }
            result.clearMeasurements();
            for (Measurement measurement : check.getMeasurementsList()) {
                Measurement.Builder copy = measurement.toBuilder();
                if (measurement.getName().equals("shm_free_bytes")) {
                    copy.setValue(0);
                }
                result.addMeasurements(copy);
            }
            checks.addChecks(result);
        }
        return JsonFormat.printer().print(checks) + "\n";
    }

    /** The fixture's absolute location, and /dev/shm's free space on this machine, vary from run to run. */
    private static String text(String value, String root) {
        return value.replace(root, "<fixture>").replaceAll("\\(([0-9.]+ [KMGT]?i?B) free\\)", "(… free)");
    }
}
