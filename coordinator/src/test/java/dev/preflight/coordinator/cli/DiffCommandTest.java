package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.SampleReports;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** preflight diff on crafted pairs: the sample cluster against itself changed in one way at a time. */
class DiffCommandTest {
    @TempDir
    Path dir;

    private Path write(String name, PreflightReport report) throws Exception {
        Path sub = Files.createDirectories(dir.resolve(name));
        return JsonReport.write(report, sub);
    }

    /** The sample with one node's intra-node all-reduce scaled. */
    private static PreflightReport intraNodeScaled(String node, double factor) {
        PreflightReport sample = SampleReports.cluster();
        Measurements.Builder m = sample.getMeasurements().toBuilder();
        for (int i = 0; i < m.getSeriesCount(); i++) {
            Sweep series = m.getSeries(i);
            if (series.getKind() == Sweep.Kind.INTRA_NODE && series.getNodes(0).equals(node)) {
                Sweep.Builder scaled = series.toBuilder().clearPoints();
                for (SweepPoint p : series.getPointsList()) {
                    scaled.addPoints(p.toBuilder().setBusbwBytesPerSecond(p.getBusbwBytesPerSecond() * factor)
                            .setAlgbwBytesPerSecond(p.getAlgbwBytesPerSecond() * factor));
                }
                m.setSeries(i, scaled);
            }
        }
        return sample.toBuilder().setMeasurements(m).build();
    }

    private Cli diff(PreflightReport baseline, PreflightReport current, String... extra) throws Exception {
        Path old = write("old", baseline);
        Path now = write("new", current);
        String[] args = new String[4 + extra.length];
        args[0] = "diff";
        args[1] = "--baseline";
        args[2] = old.toString();
        System.arraycopy(extra, 0, args, 3, extra.length);
        args[args.length - 1] = now.toString();
        return Cli.run(args);
    }

    /** A baseline written by 0.1.0 (the sample as committed then) still lines up with today's report. */
    @Test
    void aBaselineWrittenByZeroOneZeroIsRead() throws Exception {
        Path old = Files.createDirectories(dir.resolve("v010")).resolve(JsonReport.FILE_NAME);
        try (java.io.InputStream in = getClass().getResourceAsStream("/reports/sample-report-0.1.0.json")) {
            Files.write(old, in.readAllBytes());
        }
        Path now = write("new", SampleReports.cluster());
        Cli cli = Cli.run("diff", "--baseline", old.toString(), now.toString());
        assertTrue(cli.code() != ExitCodes.USAGE, cli.err());
        assertTrue(cli.out().startsWith("diff: "), cli.out());
        assertFalse(cli.out().contains("regressions:"), "the same measurements: " + cli.out());
    }

    @Test
    void aReportAgainstItselfHasNothingToSay() throws Exception {
        Cli cli = diff(SampleReports.cluster(), SampleReports.cluster());
        assertEquals(0, cli.code(), cli.err());
        assertTrue(cli.out().startsWith("diff: ok ("), cli.out());
        assertFalse(cli.out().contains("regressions:"), cli.out());
        assertFalse(cli.out().contains("status changes:"), cli.out());
    }

    @Test
    void aRegressionBeyondThePercentageThatStillPassesIsReportedWithoutFailing() throws Exception {
        // 235.3 -> 211.7 GB/s: 10% worse, still above the A100 band's 200 GB/s
        Cli cli = diff(SampleReports.cluster(), intraNodeScaled("gpu-b", 0.9));
        assertEquals(0, cli.code(), cli.out());
        assertTrue(cli.out().contains("busbw all_reduce intra-node gpu-b float: 235.3 GB/s -> 211.7 GB/s (10.0% worse)"), cli.out());
        assertFalse(cli.out().contains("FAIL"), cli.out());
    }

    @Test
    void aRegressionTheNewReportJudgesFailExitsOne() throws Exception {
        // 235.3 -> 141.2 GB/s: below the A100 band's 150 GB/s FAIL bound
        Cli cli = diff(SampleReports.cluster(), intraNodeScaled("gpu-b", 0.6));
        assertEquals(ExitCodes.NOT_VIABLE, cli.code(), cli.out());
        assertTrue(cli.out().startsWith("diff: FAIL"), cli.out());
        assertTrue(cli.out().contains("FAIL busbw all_reduce intra-node gpu-b float: 235.3 GB/s -> 141.2 GB/s (40.0% worse)"), cli.out());
        assertTrue(cli.out().contains("node gpu-b: nccl.intra_node[all_reduce x8] PASS -> FAIL"), cli.out());
    }

    @Test
    void thePercentageComesFromThePolicy() throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "diff:\n  regression: 15%\n");
        Cli cli = diff(SampleReports.cluster(), intraNodeScaled("gpu-b", 0.9), "--policy", policy.toString());
        assertEquals(0, cli.code());
        assertFalse(cli.out().contains("regressions:"), cli.out());
        assertTrue(cli.out().contains("regression threshold 15.0%"), cli.out());
    }

    @Test
    void slowerLatencyIsARegressionAndFasterIsNot() throws Exception {
        PreflightReport sample = SampleReports.cluster();
        Measurements.Builder m = sample.getMeasurements().toBuilder();
        LatencyResult first = m.getLatency(0);
        m.setLatency(0, first.toBuilder().setP99Us(first.getP99Us() * 1.5).setP50Us(first.getP50Us() * 0.5));
        Cli cli = diff(sample, sample.toBuilder().setMeasurements(m).build());
        assertEquals(0, cli.code(), "latency is reported, not scored: its regressions never fail");
        assertTrue(cli.out().contains("latency p99 all_reduce gpu-a 16 KiB: 16.2 us -> 24.3 us (50.0% worse)"), cli.out());
        assertFalse(cli.out().contains("latency p50"), cli.out());
    }

    @Test
    void checksThatChangedStatusAndNodesThatCameAndWentAreListed() throws Exception {
        PreflightReport baseline = SampleReports.cluster();
        PreflightReport.Builder current = baseline.toBuilder();
        NodeReport gpuA = current.getNodes(0);
        current.setNodes(0, gpuA.toBuilder().setChecks(1, SampleReports.shm(8 * ByteSizes.GIB, 8 * ByteSizes.GIB)));
        current.removeNodes(5).addNodes(SampleReports.node("gpu-g", false));
        Cli cli = diff(baseline, current.build());
        assertEquals(0, cli.code(), "a WARN is not a FAIL");
        assertTrue(cli.out().contains("node gpu-a: host.shm PASS -> WARN"), cli.out());
        assertTrue(cli.out().contains("node gpu-a host.shm shm_size_bytes: 64 GiB -> 8 GiB (87.5% worse)"), cli.out());
        assertTrue(cli.out().contains("nodes appeared: gpu-g"), cli.out());
        assertTrue(cli.out().contains("nodes vanished: gpu-f"), cli.out());

        current.setNodes(0, gpuA.toBuilder().setChecks(1, SampleReports.shm(512 * ByteSizes.MIB, 500 * ByteSizes.MIB)));
        Cli failing = diff(baseline, current.build());
        assertEquals(ExitCodes.NOT_VIABLE, failing.code(), failing.out());
        assertTrue(failing.out().contains("FAIL node gpu-a: host.shm PASS -> FAIL"), failing.out());
    }

    @Test
    void aMalformedReportIsAUsageErrorNamingTheFile() throws Exception {
        Path old = write("old", SampleReports.cluster());
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"schemaVersion\": 1, \"nodes\": [{\"reachability\": 7.5}]}");
        Cli cli = Cli.run("diff", "--baseline", old.toString(), broken.toString());
        assertEquals(ExitCodes.USAGE, cli.code());
        assertTrue(cli.errorLine().startsWith("preflight: NEW.json " + broken + ": not a preflight JSON report"), cli.err());
        Cli missing = Cli.run("diff", "--baseline", dir.resolve("nope.json").toString(), broken.toString());
        assertEquals(ExitCodes.USAGE, missing.code());
        assertTrue(missing.errorLine().contains("--baseline " + dir.resolve("nope.json") + ": no such file"), missing.err());
    }
}
