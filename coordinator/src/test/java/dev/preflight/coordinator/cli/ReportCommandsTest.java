package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.SampleReports;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.PolicyFile;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.Artifacts;
import dev.preflight.reports.JsonReport;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** preflight run --format/--policy, report --from, and policy show, in-process. */
class ReportCommandsTest {
    @TempDir
    Path dir;

    @Test
    void runWritesEveryRequestedFormatAtomicallyAndScoresUnderThePolicy() throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "limits:\n  shm_size_bytes:\n    warnBelow: 1TiB\n");
        Path out = dir.resolve("out");
        Cli cli = Cli.run("run", "--quiet", "--checks", "host.shm", "--out", out.toString(), "--format", "json,junit,md,html",
                "--policy", policy.toString());
        assertTrue(cli.code() == ExitCodes.VIABLE || cli.code() == ExitCodes.NOT_VIABLE, cli.err());
        for (String file : new String[] {"preflight-report.json", "preflight-junit.xml", "preflight-report.md", "preflight-report.html"}) {
            assertTrue(Files.size(out.resolve(file)) > 0, file);
        }
        try (var files = Files.list(out)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
        PreflightReport report = JsonReport.read(out.resolve("preflight-report.json"));
        assertEquals(policy.toString(), report.getScoring().getPolicySource());
        var shm = report.getNodes(0).getChecks(0);
        assertTrue(shm.getThreshold().startsWith("shm_size_bytes: FAIL below 1GiB, WARN below 1TiB"), shm.getThreshold());
        assertTrue(shm.getStatus() != dev.preflight.proto.v1.CheckResult.Status.PASS, "no /dev/shm here is a TiB: " + shm);
        assertTrue(cli.out().startsWith("preflight "), "the summary leads with the verdict: " + cli.out());
        assertTrue(cli.out().lines().findFirst().orElse("").contains("verdict "), cli.out());
    }

    @Test
    void badFormatsAndPolicyFilesAreOneLineUsageErrors() throws Exception {
        Cli format = Cli.run("run", "--format", "json,pdf");
        assertEquals(ExitCodes.USAGE, format.code());
        assertTrue(format.errorLine().contains("'pdf' is not a report format (known: json, junit, md, html)"), format.err());

        Path bad = Files.writeString(dir.resolve("bad.yaml"), "interconnect:\n  efficiencyFloor: 0.8\n");
        Cli policy = Cli.run("run", "--policy", bad.toString());
        assertEquals(ExitCodes.USAGE, policy.code());
        assertEquals("preflight: --policy " + bad + ": interconnect.efficiencyFloor: '0.8' is not a percentage, e.g. 80%",
                policy.errorLine());

        Cli missing = Cli.run("policy", "show", "--policy", dir.resolve("none.yaml").toString());
        assertEquals(ExitCodes.USAGE, missing.code());
        assertTrue(missing.errorLine().endsWith("none.yaml: no such file"), missing.err());
    }

    @Test
    void policyShowPrintsAFileThatReadsBackToTheEffectivePolicy() throws Exception {
        Path file = Files.writeString(dir.resolve("p.yaml"), "diff:\n  regression: 7.5%\n");
        Cli cli = Cli.run("policy", "show", "--policy", file.toString());
        assertEquals(0, cli.code(), cli.err());
        assertTrue(cli.out().contains("regression: 7.5%"), cli.out());
        assertTrue(cli.out().contains("productionViableFrom: 25GB/s"), cli.out());
        Policy shown = PolicyFile.parse("shown", cli.out());
        assertEquals(PolicyFile.load(file).regressionPercent(), shown.regressionPercent());
        Cli help = Cli.run("help", "run");
        assertTrue(help.out().replaceAll("\\s+", " ").contains("GB = 10^9 bytes, GiB = 2^30 bytes"), help.out());
    }

    @Test
    void reportReRendersASavedReportWithItsArtifacts() throws Exception {
        Path saved = JsonReport.write(SampleReports.cluster().toBuilder().setVerdict(Verdict.NOT_VIABLE).build(), dir);
        Path out = dir.resolve("rendered");
        Cli cli = Cli.run("report", "--from", saved.toString(), "--out", out.toString(), "--format", "md,html,junit");
        assertEquals(ExitCodes.NOT_VIABLE, cli.code(), "exits with the saved verdict: " + cli.err());
        assertTrue(Files.readString(out.resolve("preflight-report.md")).startsWith("## preflight: ❌ NOT_VIABLE"));
        assertFalse(Files.exists(out.resolve("preflight-report.json")));
        String commands = Files.readString(out.resolve(Artifacts.DIRECTORY).resolve(Artifacts.COMMAND_LINES));
        assertTrue(commands.contains("# all_reduce rail 3 gpu-c~gpu-d\nNCCL_IB_HCA=mlx5_3 CUDA_VISIBLE_DEVICES=3 mpirun -np 2"), commands);
        assertTrue(Files.readString(out.resolve("preflight-report.html")).contains("artifacts/nccl-tests-commands.sh"));

        Cli rescored = Cli.run("report", "--from", saved.toString(), "--out", out.toString(), "--format", "json",
                "--policy", Files.writeString(dir.resolve("p.yaml"), "interconnect:\n  efficiencyFloor: 60%\n"
                        + "collectives:\n  allReduceFloor: 40%\noutliers:\n  enabled: false\n").toString());
        assertEquals(ExitCodes.VIABLE, rescored.code(), "re-judged: warnings only " + rescored.out());
        PreflightReport report = JsonReport.read(out.resolve("preflight-report.json"));
        assertEquals(Verdict.VIABLE_WITH_WARNINGS, report.getVerdict());
        assertEquals(1, report.getArtifactsCount());
    }

    @Test
    void aMissingOrMalformedReportIsAUsageError() throws Exception {
        Cli missing = Cli.run("report", "--from", dir.resolve("nope.json").toString());
        assertEquals(ExitCodes.USAGE, missing.code());
        Path future = Files.writeString(dir.resolve("future.json"), "{\"schemaVersion\": 9}");
        Cli cli = Cli.run("report", "--from", future.toString());
        assertEquals(ExitCodes.USAGE, cli.code());
        assertEquals("preflight: --from " + future + ": schemaVersion 9 is not one this version reads (1-1)", cli.errorLine());
    }
}
