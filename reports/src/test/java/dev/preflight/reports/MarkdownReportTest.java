package dev.preflight.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Verdict;
import org.junit.jupiter.api.Test;

class MarkdownReportTest {
    @Test
    void aLargeClustersTablesAreCutToFitAPullRequestComment() {
        PreflightReport.Builder report = PreflightReport.newBuilder().setVerdict(Verdict.NOT_VIABLE);
        Measurements.Builder m = Measurements.newBuilder();
        for (int i = 0; i < 1000; i++) {
            report.addNodes(NodeReport.newBuilder().setNodeName("n" + i).setReachability(NodeReport.Reachability.REACHABLE)
                    .addChecks(CheckResult.newBuilder().setId("host.shm").setStatus(CheckResult.Status.FAIL)
                            .setSummary("/dev/shm is only 64 MiB")));
            m.addLatency(LatencyResult.newBuilder().setOp("all_reduce").addNodes("n" + i).setBytes(16384).setP50Us(12).setP99Us(16));
        }
        String md = MarkdownReport.render(report.setMeasurements(m).build());
        assertTrue(md.length() < 65_536, "fits a GitHub comment: " + md.length());
        assertTrue(md.contains("0 of 1000 passed."), md);
        assertEquals(2, md.split("… and 960 more rows in the JSON and HTML reports.", -1).length - 1, md);
    }

    @Test
    void tableCellsCannotBreakTheTable() {
        PreflightReport report = PreflightReport.newBuilder().addNodes(NodeReport.newBuilder().setNodeName("a|b")
                .setReachability(NodeReport.Reachability.REACHABLE)
                .addChecks(CheckResult.newBuilder().setId("x.y").setStatus(CheckResult.Status.WARN)
                        .setSummary("line one\nline | two <script>"))).build();
        String md = MarkdownReport.render(report);
        assertTrue(md.contains("| ⚠️ WARN | a\\|b | `x.y` | line one line \\| two &lt;script&gt; |"), md);
    }
}
