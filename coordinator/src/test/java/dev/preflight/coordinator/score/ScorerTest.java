package dev.preflight.coordinator.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.SampleReports;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.Judgement;
import dev.preflight.proto.v1.HostLink;
import dev.preflight.proto.v1.HostNetworkResult;
import dev.preflight.proto.v1.Measurements.PortRate;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Scoring.LinkAssessment;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.proto.v1.WrongRank;
import dev.preflight.proto.v1.WrongRanks;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ScorerTest {
    private final Scorer scorer = new Scorer(Policy.defaults());

    private static PreflightReport twoNodes(Measurements measurements) {
        return PreflightReport.newBuilder()
                .addNodes(SampleReports.node("n1", false))
                .addNodes(SampleReports.node("n2", false))
                .setMeasurements(measurements)
                .build();
    }

    private static PortRate port(String node, String device, int rail, String rate) {
        return PortRate.newBuilder().setNode(node).setDevice(device).setPort(1).setRail(rail)
                .setRateBytesPerSecond(dev.preflight.proto.units.Bandwidths.parse(rate)).build();
    }

    private static Stream<CheckResult> scored(PreflightReport report, String id) {
        return Stream.concat(report.getClusterChecksList().stream(),
                report.getNodesList().stream().flatMap(n -> n.getChecksList().stream()))
                .filter(c -> c.getId().equals(id));
    }

    /**
     * An NDR port (400 Gb/s = 50 GB/s) with an 80% floor of 40 GB/s: at or above the floor the
     * measurement backs the negotiated class; below it the link is degraded, a FAIL, and classed by
     * the line rate its measurement shows (measured / 80%).
     */
    @ParameterizedTest(name = "NDR rail measuring {0} GB/s: {1} {2}")
    @CsvSource({
        "47.0,   RECOMMENDED,       PASS",
        "40.0,   RECOMMENDED,       PASS",
        "39.99,  PRODUCTION_VIABLE, FAIL",
        "20.0,   PRODUCTION_VIABLE, FAIL",
        "19.99,  SMALL_MODELS_ONLY, FAIL",
        "9.99,   TOO_SLOW,          FAIL",
    })
    void aRailBelowTheEfficiencyFloorOfItsNegotiatedRateIsDegraded(double gbps, Tier tier, Status status) {
        PreflightReport report = scorer.score(twoNodes(Measurements.newBuilder()
                .addPorts(port("n1", "mlx5_0", 0, "400Gb/s"))
                .addSeries(SampleReports.railSeries(List.of("n1", "n2"), 0, gbps))
                .build()));
        LinkAssessment link = report.getScoring().getLinks(0);
        assertEquals(Tier.RECOMMENDED, link.getNominalTier());
        assertEquals(tier, link.getTier());
        assertEquals(40e9, link.getFloorBytesPerSecond(), 1);
        assertEquals(gbps * 1e9, link.getMeasuredBytesPerSecond(), 1);
        CheckResult check = scored(report, Scorer.LINK).findFirst().orElseThrow();
        assertEquals(status, check.getStatus());
        assertEquals("mlx5_0/1 rail 0", check.getSubject());
        assertEquals("PASS from production viable (25.0 GB/s per link), WARN from small models only (12.5 GB/s); "
                + "a measurement must reach 80% of the negotiated rate (40.0 GB/s)", check.getThreshold());
        assertEquals(tier, report.getScoring().getClusterTier());
        assertEquals(status == Status.FAIL ? Verdict.NOT_VIABLE : status == Status.WARN ? Verdict.VIABLE_WITH_WARNINGS
                : Verdict.VIABLE, report.getVerdict());
    }

    @ParameterizedTest(name = "{0} negotiated, not measured: {1}")
    @CsvSource({"25Gb/s, FAIL", "100Gb/s, WARN", "200Gb/s, WARN"})
    void anUnmeasuredLinkBetweenNodesIsAtBestAWarningNamingWhatToRun(String rate, Status status) {
        PreflightReport report = scorer.score(twoNodes(Measurements.newBuilder().addPorts(port("n1", "eth0", 0, rate)).build()));
        CheckResult check = scored(report, Scorer.LINK).findFirst().orElseThrow();
        assertEquals(status, check.getStatus());
        assertTrue(check.getSummary().contains("unmeasured") && check.getSummary().contains("preflight run --profile quick"),
                check.getSummary());
        if (status == Status.FAIL) {
            assertTrue(report.getReasons(0).startsWith("node n1: interconnect.link[eth0/1 rail 0] FAIL"), report.getReasons(0));
        }
    }

    @Test
    void theStatisticIsTheBestBusBandwidthAtLargeSizesOnly() {
        Sweep series = Sweep.newBuilder().setOp("all_reduce").setKind(Sweep.Kind.INTRA_NODE).addNodes("n1")
                .setRanks(8).setGpuModel("NVIDIA H100 80GB HBM3")
                .addPoints(SweepPoint.newBuilder().setBytes(128 * ByteSizes.MIB).setBusbwBytesPerSecond(500e9))
                .addPoints(SweepPoint.newBuilder().setBytes(256 * ByteSizes.MIB).setBusbwBytesPerSecond(300e9))
                .addPoints(SweepPoint.newBuilder().setBytes(ByteSizes.GIB).setBusbwBytesPerSecond(360e9))
                .build();
        CheckResult check = scored(scorer.score(twoNodes(Measurements.newBuilder().addSeries(series).build())), Scorer.INTRA_NODE)
                .findFirst().orElseThrow();
        assertEquals(Status.WARN, check.getStatus());
        assertTrue(check.getSummary().contains("360.0 GB/s"), check.getSummary());
    }

    @ParameterizedTest(name = "{0} x{1} at {2} GB/s: {3}")
    @CsvSource({
        "NVIDIA H100 80GB HBM3, 8, 480,    PASS",
        "NVIDIA H100 80GB HBM3, 8, 370,    PASS",
        "NVIDIA H100 80GB HBM3, 8, 369.99, WARN",
        "NVIDIA H100 80GB HBM3, 8, 280,    WARN",
        "NVIDIA H100 80GB HBM3, 8, 279.99, FAIL",
        "NVIDIA H200,           8, 431,    PASS",
        "NVIDIA A100-SXM4-40GB, 8, 235.26, PASS",
        "NVIDIA H100 80GB HBM3, 4, 300,    WARN",
        "NVIDIA B200,           8, 740,    PASS",
        "NVIDIA B200,           8, 559.99, FAIL",
        "NVIDIA H100 PCIe,      8, 50,     PASS",
        "NVIDIA H100 PCIe,      8, 49.99,  WARN",
        "NVIDIA H100 NVL,       8, 37.99,  FAIL",
        "NVIDIA H20,            8, 370,    PASS",
        "NVIDIA H800,           8, 159.99, WARN",
        "NVIDIA GB200,          4, 740,    PASS",
        "NVIDIA GB200,          8, 740,    WARN",
        "NVIDIA RTX PRO 6000,   8, 100,    WARN",
    })
    void intraNodeAllReduceIsJudgedAgainstItsPartsBand(String gpu, int ranks, double gbps, Status status) {
        Sweep series = Sweep.newBuilder().setOp("all_reduce").setKind(Sweep.Kind.INTRA_NODE).addNodes("n1")
                .setRanks(ranks).setGpuModel(gpu)
                .addPoints(SweepPoint.newBuilder().setBytes(8 * ByteSizes.GIB).setBusbwBytesPerSecond(gbps * 1e9))
                .build();
        PreflightReport report = scorer.score(twoNodes(Measurements.newBuilder().addSeries(series).build()));
        CheckResult check = scored(report, Scorer.INTRA_NODE).findFirst().orElseThrow();
        assertEquals(status, check.getStatus(), check.getSummary());
        assertEquals("n1", report.getNodesList().stream().filter(n -> n.getChecksList().contains(check)).findFirst()
                .orElseThrow().getNodeName());
        if (status != Status.SKIP) {
            assertTrue(check.getThreshold().startsWith("PASS from 370.0 GB/s") || !gpu.contains("HBM3"), check.getThreshold());
        }
    }

    @Test
    void policyLimitsReJudgeTheChecksTheyExplainAndLeaveOtherFindingsAlone() throws Exception {
        Policy relaxed = PolicyFile.parse("relaxed.yaml", "limits:\n  shm_size_bytes:\n    warnBelow: 8GiB\n");
        // 12 GiB: WARN under the built-in 16 GiB, PASS under 8 GiB
        CheckResult small = SampleReports.shm(12 * ByteSizes.GIB, 11 * ByteSizes.GIB);
        // a WARN the size does not explain (e.g. not a tmpfs) stays a WARN
        CheckResult otherWarn = SampleReports.shm(64 * ByteSizes.GIB, 63 * ByteSizes.GIB).toBuilder()
                .setStatus(Status.WARN).setSummary("/dev/shm is ext4, not tmpfs").build();
        NodeReport node = NodeReport.newBuilder(SampleReports.node("n1", false)).clearChecks().addChecks(small).build();
        NodeReport other = NodeReport.newBuilder(SampleReports.node("n2", false)).clearChecks().addChecks(otherWarn).build();
        PreflightReport report = new Scorer(relaxed).score(PreflightReport.newBuilder().addNodes(node).addNodes(other).build());
        CheckResult rejudged = report.getNodes(0).getChecks(0);
        assertEquals(Status.PASS, rejudged.getStatus());
        assertTrue(rejudged.getSummary().endsWith("(PASS under relaxed.yaml)"), rejudged.getSummary());
        assertTrue(rejudged.getThreshold().contains("shm_size_bytes: FAIL below 1GiB, WARN below 8GiB"), rejudged.getThreshold());
        assertEquals(Status.WARN, report.getNodes(1).getChecks(0).getStatus());
        assertEquals(Verdict.VIABLE_WITH_WARNINGS, report.getVerdict());

        Policy strict = PolicyFile.parse("strict.yaml", "limits:\n  shm_size_bytes:\n    failBelow: 32GiB\n");
        PreflightReport failing = new Scorer(strict).score(PreflightReport.newBuilder()
                .addNodes(NodeReport.newBuilder(SampleReports.node("n1", false)).clearChecks()
                        .addChecks(SampleReports.shm(24 * ByteSizes.GIB, 24 * ByteSizes.GIB)))
                .build());
        assertEquals(Verdict.NOT_VIABLE, failing.getVerdict());
        assertTrue(failing.getReasons(0).contains("host.shm FAIL"), failing.getReasons(0));
    }

    @Test
    void processScopedResultsOfAnAgentReadingHostViewsAreReportedButNotCounted() {
        NodeReport pod = NodeReport.newBuilder(SampleReports.node("n1", true)).clearChecks()
                .addChecks(SampleReports.shm(64 * ByteSizes.MIB, 60 * ByteSizes.MIB)).build();
        PreflightReport report = scorer.score(PreflightReport.newBuilder().addNodes(pod).build());
        assertEquals(Status.FAIL, report.getNodes(0).getChecks(0).getStatus());
        assertFalse(report.getNodes(0).getChecks(0).getNotCounted().isEmpty());
        assertEquals(Verdict.VIABLE, report.getVerdict());
    }

    @Test
    void aLowNodeAmongAlikeOnesIsAnOutlierButNotWithTooFewToCompare() {
        Measurements.Builder m = Measurements.newBuilder();
        PreflightReport.Builder report = PreflightReport.newBuilder();
        double[] values = {476, 481, 478, 402, 479};
        for (int i = 0; i < values.length; i++) {
            report.addNodes(SampleReports.node("n" + i, false));
            m.addSeries(Sweep.newBuilder().setOp("all_reduce").setKind(Sweep.Kind.INTRA_NODE).addNodes("n" + i)
                    .setRanks(8).setGpuModel("NVIDIA H100 80GB HBM3")
                    .addPoints(SweepPoint.newBuilder().setBytes(ByteSizes.GIB).setBusbwBytesPerSecond(values[i] * 1e9)));
        }
        PreflightReport scoredReport = scorer.score(report.setMeasurements(m).build());
        List<CheckResult> outliers = scored(scoredReport, Scorer.OUTLIER).toList();
        assertEquals(1, outliers.size(), outliers.toString());
        assertTrue(scoredReport.getNodes(3).getChecksList().contains(outliers.get(0)));
        assertTrue(outliers.get(0).getSummary().contains("402.0 GB/s"), outliers.get(0).getSummary());
        assertEquals(Verdict.VIABLE_WITH_WARNINGS, scoredReport.getVerdict());

        PreflightReport three = scorer.score(PreflightReport.newBuilder().addNodes(SampleReports.node("n0", false))
                .setMeasurements(Measurements.newBuilder().addAllSeries(m.getSeriesList().subList(1, 4))).build());
        assertEquals(0, scored(three, Scorer.OUTLIER).count(), "three values are below the minimum fleet of four");
    }

    @Test
    void aRailWellBelowItsPeersButAboveItsFloorIsAnOutlier() {
        Measurements.Builder m = Measurements.newBuilder();
        double[] gbps = {47.1, 47.3, 46.9, 47.2, 41.0, 47.0};
        for (int rail = 0; rail < gbps.length; rail++) {
            m.addPorts(port("n1", "mlx5_" + rail, rail, "400Gb/s")).addPorts(port("n2", "mlx5_" + rail, rail, "400Gb/s"));
            m.addSeries(SampleReports.railSeries(List.of("n1", "n2"), rail, gbps[rail]));
        }
        PreflightReport report = scorer.score(twoNodes(m.build()));
        assertTrue(scored(report, Scorer.LINK).allMatch(c -> c.getStatus() == Status.PASS), "41 GB/s clears the 40 GB/s floor");
        List<CheckResult> outliers = scored(report, Scorer.OUTLIER).toList();
        assertEquals(1, outliers.size(), outliers.toString());
        assertEquals("all_reduce rail 4 n1~n2", outliers.get(0).getSubject());
        assertEquals(Verdict.VIABLE_WITH_WARNINGS, report.getVerdict());
    }

    @Test
    void wrongResultsFail() {
        Sweep series = SampleReports.railSeries(List.of("n1", "n2"), 0, 24).toBuilder()
                .setPoints(2, SampleReports.railSeries(List.of("n1", "n2"), 0, 24).getPoints(2).toBuilder().setWrong(3))
                .build();
        PreflightReport report = scorer.score(twoNodes(Measurements.newBuilder().addSeries(series).build()));
        CheckResult check = scored(report, Scorer.CORRECTNESS).findFirst().orElseThrow();
        assertEquals(Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().contains("3 wrong elements at 1 GiB"), check.getSummary());
        // the series does not say which rank received them: nothing is guessed
        assertFalse(check.getSummary().contains("rank"), check.getSummary());
        assertEquals(Verdict.NOT_VIABLE, report.getVerdict());
    }

    @Test
    void wrongResultsNameTheRanksThatReceivedThemWithTheirNodeAndGpu() {
        Sweep clean = SampleReports.railSeries(List.of("n1", "n2"), 0, 24);
        Sweep series = clean.toBuilder()
                .setPoints(2, clean.getPoints(2).toBuilder().setWrong(3))
                .setWrongRanks(WrongRanks.newBuilder()
                        .addRanks(WrongRank.newBuilder().setRank(1).setNode("n2").setGpu(0).setWrong(3)))
                .build();
        PreflightReport report = scorer.score(twoNodes(Measurements.newBuilder().addSeries(series).build()));
        CheckResult check = scored(report, Scorer.CORRECTNESS).findFirst().orElseThrow();
        assertEquals(Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().contains("3 wrong elements at 1 GiB in the output of rank 1 (n2 GPU 0): "),
                check.getSummary());

        PreflightReport passing = scorer.score(twoNodes(Measurements.newBuilder().addSeries(clean).build()));
        CheckResult pass = scored(passing, Scorer.CORRECTNESS).findFirst().orElseThrow();
        assertEquals(Status.PASS, pass.getStatus());
        assertFalse(pass.getSummary().contains("rank"), pass.getSummary());
    }

    @Test
    void hostTcpIsScoredOnlyWhenNcclRunsOverSockets() {
        HostNetworkResult tcp = HostNetworkResult.newBuilder().addLinks(HostLink.newBuilder()
                .setFromNode("n1").setToNode("n2").setThroughputBytesPerSecond(2.9e9)).build();
        Sweep overIb = SampleReports.railSeries(List.of("n1", "n2"), 0, 24);
        PreflightReport ib = scorer.score(twoNodes(Measurements.newBuilder().addSeries(overIb).build()).toBuilder()
                .setHostNetwork(tcp).build());
        assertEquals(0, scored(ib, Scorer.HOST_TCP).count());
        PreflightReport sockets = scorer.score(twoNodes(Measurements.newBuilder()
                .addSeries(overIb.toBuilder().setTransport("NET/Socket")).build()).toBuilder().setHostNetwork(tcp).build());
        CheckResult check = scored(sockets, Scorer.HOST_TCP).findFirst().orElseThrow();
        assertEquals(Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().contains("unusable"), check.getSummary());
    }

    @Test
    void aFailDecidesEvenWithUnreachableNodesAndAnIncompleteRunWithoutOneIsIncomplete() {
        NodeReport lost = NodeReport.newBuilder().setAddress("n9:7744").setReachability(NodeReport.Reachability.UNREACHABLE)
                .setError("connection refused").build();
        PreflightReport failing = scorer.score(twoNodes(Measurements.newBuilder().addPorts(port("n1", "eth0", 0, "25Gb/s")).build())
                .toBuilder().addNodes(lost).build());
        assertEquals(Verdict.NOT_VIABLE, failing.getVerdict());
        assertTrue(failing.getReasons(1).startsWith("node n9:7744 unreachable"), failing.getReasonsList().toString());

        PreflightReport incomplete = scorer.score(twoNodes(Measurements.getDefaultInstance()).toBuilder().addNodes(lost).build());
        assertEquals(Verdict.INCOMPLETE, incomplete.getVerdict());

        PreflightReport phaseFailed = scorer.score(twoNodes(Measurements.getDefaultInstance()).toBuilder()
                .addPhases(RunPhase.newBuilder().setName("all-node NCCL").setOutcome(RunPhase.Outcome.FAILED).setError("rank 3 hung"))
                .build());
        assertEquals(Verdict.INCOMPLETE, phaseFailed.getVerdict());
        assertEquals("phase all-node NCCL failed: rank 3 hung", phaseFailed.getReasons(0));
    }

    @Test
    void theSampleClusterNamesItsSlowRailAndSuspectNodeAndScoringAgainChangesNothing() {
        PreflightReport report = scorer.score(SampleReports.cluster());
        assertEquals(Verdict.NOT_VIABLE, report.getVerdict());
        List<LinkAssessment> slow = report.getScoring().getLinksList().stream()
                .filter(l -> l.getStatus() != Judgement.Status.PASS).toList();
        assertEquals(List.of("gpu-c mlx5_3/1", "gpu-d mlx5_3/1"), slow.stream().map(l -> l.getNode() + " " + l.getLink()).toList());
        assertEquals(Tier.SMALL_MODELS_ONLY, report.getScoring().getClusterTier());
        List<CheckResult> outliers = scored(report, Scorer.OUTLIER).toList();
        assertEquals(1, outliers.size(), "gpu-c's five slow pairs are named once, by the node: " + outliers);
        assertEquals("suspect gpu-c", outliers.get(0).getSubject());
        assertTrue(outliers.get(0).getSummary().startsWith("node gpu-c is in 5 slow pairs (down to 162.0 GB/s"),
                outliers.get(0).getSummary());
        assertTrue(scored(report, Scorer.AGGREGATE).anyMatch(c -> c.getStatus() == Status.FAIL));
        assertTrue(scored(report, Scorer.INTRA_NODE).allMatch(c -> c.getStatus() == Status.PASS));
        assertEquals(report, scorer.score(report));
    }
}
