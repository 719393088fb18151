package dev.preflight.coordinator.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.SampleReports;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.PairwiseMatrix;
import dev.preflight.proto.v1.Measurements.PortRate;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.JsonReport;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The verdict on one scenario report each, both sides of every threshold: the verdict, and the
 * finding that decided it (its check id, status and the words it must say). Two H100-style nodes
 * with eight GPUs, unless the scenario says otherwise.
 */
class VerdictScenariosTest {
    private static final Scorer SCORER = new Scorer(Policy.defaults());
    private static final String H100 = "NVIDIA H100 80GB HBM3";

    /** @param deciding the scored result that decides: id, status, and a phrase of its summary */
    record Scenario(String name, UnaryOperator<Measurements.Builder> measure, Verdict verdict, String id, Status status,
            String says) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Scenario> scenarios() {
        List<Scenario> s = new ArrayList<>();
        // 1. VIABLE needs evidence
        s.add(new Scenario("nothing measured between the nodes", m -> m.addPorts(port("n1", "mlx5_0", 0, "400Gb/s"))
                .addPorts(port("n2", "mlx5_0", 0, "400Gb/s")), Verdict.VIABLE_WITH_WARNINGS, Scorer.EVIDENCE, Status.WARN,
                "unmeasured: no NCCL collective ran between the 2 nodes"));
        s.add(new Scenario("a rail not measured while another is", m -> healthy(m).addPorts(port("n1", "mlx5_1", 1, "400Gb/s")),
                Verdict.VIABLE_WITH_WARNINGS, Scorer.LINK, Status.WARN, "rail 1 (mlx5_1/1) unmeasured"));
        s.add(new Scenario("every path measured and healthy", VerdictScenariosTest::healthy, Verdict.VIABLE,
                Scorer.EVIDENCE, Status.PASS, "NCCL measured the paths between the 2 nodes"));
        // 2. only ports the workload needs can fail
        s.add(new Scenario("a slow front-end port nothing uses", m -> healthy(m).addPorts(unused("n1", "mlx5_4", "25Gb/s")),
                Verdict.VIABLE, Scorer.LINK, Status.PASS, "no GPU rail or NCCL_IB_HCA entry uses it"));
        s.add(new Scenario("the same port required by NCCL_IB_HCA", m -> healthy(m).addPorts(
                unused("n1", "mlx5_4", "25Gb/s").toBuilder().setRequired(true).build()), Verdict.NOT_VIABLE, Scorer.LINK,
                Status.FAIL, "mlx5_4/1 unmeasured: 25 Gb/s negotiated (3.1 GB/s, too slow)"));
        // 3. measured beats nominal: several NICs per GPU are one rail; below the efficiency floor is degraded
        s.add(new Scenario("four 100G NICs per GPU measuring 45 GB/s", m -> fourNics(m, 45), Verdict.VIABLE, Scorer.LINK,
                Status.PASS, "rail 0 (mlx5_0/1+mlx5_1/1+mlx5_2/1+mlx5_3/1) recommended: measured 45.0 GB/s per GPU"));
        s.add(new Scenario("four 100G NICs per GPU measuring 39.9 GB/s", m -> fourNics(m, 39.9), Verdict.NOT_VIABLE,
                Scorer.LINK, Status.FAIL, "degraded link on n1: rail 0 (mlx5_0/1+mlx5_1/1+mlx5_2/1+mlx5_3/1) measured 39.9 GB/s"));
        s.add(new Scenario("a 400G rail at 40 GB/s, its floor", m -> healthy(m, 40, 0.6 * 40 + 0.1), Verdict.VIABLE, Scorer.LINK,
                Status.PASS, "recommended: measured 40.0 GB/s per GPU"));
        s.add(new Scenario("a 400G rail at 20 GB/s, 40% of its rate", m -> healthy(m, 20, 0.6 * 20 + 0.1), Verdict.NOT_VIABLE,
                Scorer.LINK, Status.FAIL, "degraded link on n1: rail 0 (mlx5_0/1) measured 20.0 GB/s, below 80% of its 400 Gb/s "
                        + "negotiated (50.0 GB/s, recommended): expected at least 40.0 GB/s with NCCL_ALGO=RING"));
        s.add(new Scenario("a 100G rail measuring its full rate: small models only", m -> healthy(m, 12.4, 0.6 * 12.4 + 0.1)
                .clearPorts().addPorts(port("n1", "mlx5_0", 0, "100Gb/s")).addPorts(port("n2", "mlx5_0", 0, "100Gb/s")),
                Verdict.VIABLE_WITH_WARNINGS, Scorer.LINK, Status.WARN, "small models only: measured 12.4 GB/s per GPU"));
        // 4. each collective against its own ceiling (one rail of 47 GB/s per node here)
        s.add(new Scenario("all_reduce at 1/16 of the rails", m -> healthy(m, 47, 47.0 / 16), Verdict.NOT_VIABLE,
                Scorer.AGGREGATE, Status.FAIL, "below 60% of its ceiling 47.0 GB/s"));
        s.add(new Scenario("all_reduce just below its floor", m -> healthy(m, 47, 0.6 * 47 - 0.1), Verdict.NOT_VIABLE,
                Scorer.AGGREGATE, Status.FAIL, "reached 28.1 GB/s, below 60%"));
        s.add(new Scenario("alltoall at half a rail: its own ceiling, not all_reduce's", m -> rails(m, 8, 47)
                .addSeries(allNodes("alltoall", 0.5 * 47 * 2 * 15 / 16 + 0.1)), Verdict.VIABLE, Scorer.AGGREGATE, Status.PASS,
                "at least 50% of its ceiling 88.1 GB/s: one GPU's rail"));
        s.add(new Scenario("alltoall below half its ceiling", m -> rails(m, 8, 47)
                .addSeries(allNodes("alltoall", 0.5 * 47 * 2 * 15 / 16 - 0.1e0)), Verdict.NOT_VIABLE, Scorer.AGGREGATE,
                Status.FAIL, "below 50% of its ceiling 88.1 GB/s"));
        s.add(new Scenario("all_gather over eight rails at 60%", m -> rails(m, 8, 47).addSeries(allNodes("all_gather", 0.6 * 8 * 47 + 0.1)),
                Verdict.VIABLE, Scorer.AGGREGATE, Status.PASS, "at least 60% of its ceiling 376.0 GB/s"));
        s.add(new Scenario("reduce_scatter over eight rails below 60%", m -> rails(m, 8, 47)
                .addSeries(allNodes("reduce_scatter", 0.6 * 8 * 47 - 1)), Verdict.NOT_VIABLE, Scorer.AGGREGATE, Status.FAIL,
                "below 60% of its ceiling 376.0 GB/s"));
        s.add(new Scenario("sendrecv at 60% of one rail", m -> rails(m, 8, 47).addSeries(allNodes("sendrecv", 0.6 * 47 + 0.1)),
                Verdict.VIABLE, Scorer.AGGREGATE, Status.PASS, "as each node boundary is crossed by one GPU"));
        s.add(new Scenario("sendrecv below 60% of one rail", m -> rails(m, 8, 47).addSeries(allNodes("sendrecv", 0.6 * 47 - 1)),
                Verdict.NOT_VIABLE, Scorer.AGGREGATE, Status.FAIL, "below 60% of its ceiling 47.0 GB/s"));
        // 5. nothing hides behind a retry: the worse attempt is judged
        s.add(new Scenario("wrong data on the first attempt, clean repeat", m -> healthy(m)
                .addSeries(rail(0, 47).toBuilder().setPoints(3, rail(0, 47).getPoints(3).toBuilder().setWrong(2)).build())
                .addSeries(rail(0, 47).toBuilder().setAttempt(2).build()), Verdict.NOT_VIABLE, Scorer.CORRECTNESS, Status.FAIL,
                "returned 2 wrong elements at 4 GiB"));
        s.add(new Scenario("a rail fast once and slow on its repeat", m -> healthy(m)
                .addSeries(rail(0, 30).toBuilder().setAttempt(2).build()), Verdict.NOT_VIABLE, Scorer.LINK, Status.FAIL,
                "measured 30.0 GB/s"));
        // 6. exact parts
        s.add(new Scenario("H200 NVL (PCIe, bridged) at 45 GB/s: its own band", m -> healthy(m)
                .addSeries(intra("n1", "NVIDIA H200 NVL", 8, 45)), Verdict.VIABLE_WITH_WARNINGS, Scorer.INTRA_NODE, Status.WARN,
                "45.0 GB/s on 8x NVIDIA H200 NVL (PCIe Gen5 (NVLink bridge pairs)), below 50.0 GB/s"));
        s.add(new Scenario("H200 NVL at 55 GB/s passes where H200 SXM's band would fail it", m -> healthy(m)
                .addSeries(intra("n1", "NVIDIA H200 NVL", 8, 55)), Verdict.VIABLE, Scorer.INTRA_NODE, Status.PASS,
                "NVIDIA H200 NVL"));
        s.add(new Scenario("H200 SXM below its FAIL line", m -> healthy(m).addSeries(intra("n1", "NVIDIA H200", 8, 279)),
                Verdict.NOT_VIABLE, Scorer.INTRA_NODE, Status.FAIL, "below 280.0 GB/s"));
        s.add(new Scenario("H800 at 160 GB/s: its NVLink is cut to 400 GB/s", m -> healthy(m)
                .addSeries(intra("n1", "NVIDIA H800", 8, 160)), Verdict.VIABLE, Scorer.INTRA_NODE, Status.PASS, "NVIDIA H800"));
        s.add(new Scenario("an unknown part is named, not skipped", m -> healthy(m).addSeries(intra("n1", "NVIDIA L40S", 8, 20)),
                Verdict.VIABLE_WITH_WARNINGS, Scorer.INTRA_NODE, Status.WARN,
                "8x NVIDIA L40S, a part (or GPU count) the policy has no intra-node band for"));
        // 7. latency on the p99
        s.add(new Scenario("TP all-reduce p99 30 us", m -> healthy(m).addLatency(latency("all_reduce", 30, "n1")),
                Verdict.VIABLE, Scorer.LATENCY, Status.PASS, "p99 over every iteration of every rank 30.0 us, within 30.0 us"));
        s.add(new Scenario("TP all-reduce p99 31 us", m -> healthy(m).addLatency(latency("all_reduce", 31, "n1")),
                Verdict.VIABLE_WITH_WARNINGS, Scorer.LATENCY, Status.WARN, "31.0 us, above 30.0 us"));
        s.add(new Scenario("TP all-reduce p99 201 us", m -> healthy(m).addLatency(latency("all_reduce", 201, "n1")),
                Verdict.NOT_VIABLE, Scorer.LATENCY, Status.FAIL, "201.0 us, above 200.0 us"));
        s.add(new Scenario("PP send/recv p99 50 us", m -> healthy(m).addLatency(latency("send_recv", 50, "n1", "n2")),
                Verdict.VIABLE, Scorer.LATENCY, Status.PASS, "PP send/recv across n1~n2"));
        s.add(new Scenario("PP send/recv p99 51 us", m -> healthy(m).addLatency(latency("send_recv", 51, "n1", "n2")),
                Verdict.VIABLE_WITH_WARNINGS, Scorer.LATENCY, Status.WARN, "51.0 us, above 50.0 us"));
        s.add(new Scenario("PP send/recv p99 501 us", m -> healthy(m).addLatency(latency("send_recv", 501, "n1", "n2")),
                Verdict.NOT_VIABLE, Scorer.LATENCY, Status.FAIL, "501.0 us, above 500.0 us"));
        s.add(new Scenario("an old report's p99 is said to be a mean of ranks' p99s", m -> healthy(m)
                .addLatency(latency("all_reduce", 12, "n1").toBuilder().setP99AllIterations(false)), Verdict.VIABLE,
                Scorer.LATENCY, Status.PASS, "the mean of the ranks' p99s"));
        // 10. one outlier rule, usable from two nodes: against the expected ceiling below four
        s.add(new Scenario("two nodes: their pair below what the rails carry", m -> healthy(m).setPairwise(PairwiseMatrix.newBuilder()
                .addPairs(PairResult.newBuilder().setA("n1").setB("n2").setBytes(ByteSizes.GIB).setBusbwBytesPerSecond(42e9))),
                Verdict.VIABLE_WITH_WARNINGS, Scorer.OUTLIER, Status.WARN,
                "send/recv between n1 and n2 measured 42.0 GB/s, an outlier against the expected 47.0 GB/s (too few pairs"));
        s.add(new Scenario("two nodes: their pair at what the rails carry", m -> healthy(m).setPairwise(PairwiseMatrix.newBuilder()
                .addPairs(PairResult.newBuilder().setA("n1").setB("n2").setBytes(ByteSizes.GIB).setBusbwBytesPerSecond(43e9))),
                Verdict.VIABLE, Scorer.EVIDENCE, Status.PASS, "pairwise send/recv (1 pairs)"));
        return s.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void theVerdictAndTheFindingThatDecidesIt(Scenario scenario) {
        PreflightReport report = SCORER.score(PreflightReport.newBuilder()
                .addNodes(SampleReports.node("n1", false))
                .addNodes(SampleReports.node("n2", false))
                .setMeasurements(scenario.measure().apply(Measurements.newBuilder()))
                .build());
        assertEquals(scenario.verdict(), report.getVerdict(), report.getReasonsList().toString());
        List<CheckResult> deciding = Stream.concat(report.getClusterChecksList().stream(),
                        report.getNodesList().stream().flatMap(n -> n.getChecksList().stream()))
                .filter(c -> c.getId().equals(scenario.id()) && c.getStatus() == scenario.status()
                        && c.getSummary().contains(scenario.says()))
                .toList();
        assertFalse(deciding.isEmpty(), "no " + scenario.id() + " " + scenario.status() + " saying '" + scenario.says() + "' in "
                + report.getReasonsList() + " / " + Stream.concat(report.getClusterChecksList().stream(),
                        report.getNodesList().stream().flatMap(n -> n.getChecksList().stream()))
                        .filter(c -> c.getId().equals(scenario.id())).map(CheckResult::getSummary).toList());
        if (scenario.status() != Status.PASS && deciding.get(0).getNotCounted().isEmpty()) {
            String line = scenario.id() + "[" + deciding.get(0).getSubject() + "] " + scenario.status().name();
            assertTrue(report.getReasonsList().stream().anyMatch(r -> r.contains(line)), "the reasons name it: "
                    + report.getReasonsList());
        }
    }

    /** 0.1.0 wrote this report (the sample golden as it was committed then): it reads, and re-judges under a policy. */
    @Test
    void aReportWrittenByZeroOneZeroIsReadAndReJudged(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("preflight-report.json");
        try (InputStream in = getClass().getResourceAsStream("/reports/sample-report-0.1.0.json")) {
            Files.writeString(file, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        PreflightReport old = JsonReport.read(file);
        assertEquals("0.1.0", old.getToolVersion());
        assertEquals(Verdict.VIABLE_WITH_WARNINGS, old.getVerdict(), "as 0.1.0 judged it");
        PreflightReport rejudged = SCORER.score(old);
        assertEquals(Verdict.NOT_VIABLE, rejudged.getVerdict());
        assertTrue(rejudged.getReasonsList().stream().anyMatch(r -> r.startsWith("node gpu-c: interconnect.link[mlx5_3/1 rail 3] "
                + "FAIL: degraded link on gpu-c")), rejudged.getReasonsList().toString());
        // the six nodes' ports had rails but no `required` flag then: a rail makes a port count
        assertTrue(rejudged.getScoring().getLinksCount() == 6 * 8, "every rail port is assessed");
        Policy loose = PolicyFile.parse("loose.yaml", "interconnect:\n  efficiencyFloor: 60%\ncollectives:\n"
                + "  allReduceFloor: 40%\n");
        PreflightReport relaxed = new Scorer(loose).score(old);
        assertEquals(Verdict.VIABLE_WITH_WARNINGS, relaxed.getVerdict(), relaxed.getReasonsList().toString());
        assertEquals("loose.yaml", relaxed.getScoring().getPolicySource());
    }

    private static Measurements.Builder healthy(Measurements.Builder m) {
        return healthy(m, 47, 0.6 * 47 + 1);
    }

    /** One NDR rail per node measuring railGbps, and an all-node all-reduce at allReduceGbps. */
    private static Measurements.Builder healthy(Measurements.Builder m, double railGbps, double allReduceGbps) {
        return m.addPorts(port("n1", "mlx5_0", 0, "400Gb/s")).addPorts(port("n2", "mlx5_0", 0, "400Gb/s"))
                .addSeries(rail(0, railGbps)).addSeries(allNodes("all_reduce", allReduceGbps).toBuilder().setRanks(2).build());
    }

    private static Measurements.Builder rails(Measurements.Builder m, int count, double gbps) {
        for (int r = 0; r < count; r++) {
            m.addPorts(port("n1", "mlx5_" + r, r, "400Gb/s")).addPorts(port("n2", "mlx5_" + r, r, "400Gb/s"))
                    .addSeries(rail(r, gbps));
        }
        return m;
    }

    private static Measurements.Builder fourNics(Measurements.Builder m, double gbps) {
        for (String node : List.of("n1", "n2")) {
            for (int nic = 0; nic < 4; nic++) {
                m.addPorts(port(node, "mlx5_" + nic, 0, "100Gb/s"));
            }
        }
        return m.addSeries(rail(0, gbps)).addSeries(allNodes("all_reduce", 0.6 * gbps + 1).toBuilder().setRanks(2).build());
    }

    private static Sweep rail(int rail, double gbps) {
        return SampleReports.railSeries(List.of("n1", "n2"), rail, gbps).toBuilder().setGpuModel(H100).setNcclAlgo("RING").build();
    }

    private static Sweep allNodes(String op, double gbps) {
        return Sweep.newBuilder().setOp(op).setDtype("float").setKind(Sweep.Kind.ALL_NODES).addNodes("n1").addNodes("n2")
                .setRail(-1).setRanks(16).setGpuModel(H100).setNcclAlgo("RING")
                .addPoints(SweepPoint.newBuilder().setBytes(ByteSizes.GIB).setBusbwBytesPerSecond(gbps * 1e9)).build();
    }

    private static Sweep intra(String node, String gpu, int ranks, double gbps) {
        return Sweep.newBuilder().setOp("all_reduce").setKind(Sweep.Kind.INTRA_NODE).addNodes(node).setRanks(ranks)
                .setGpuModel(gpu).addPoints(SweepPoint.newBuilder().setBytes(ByteSizes.GIB).setBusbwBytesPerSecond(gbps * 1e9))
                .build();
    }

    private static LatencyResult latency(String op, double p99Us, String... nodes) {
        return LatencyResult.newBuilder().setOp(op).addAllNodes(List.of(nodes)).setBytes(16 * ByteSizes.KIB).setP50Us(p99Us / 2)
                .setP99Us(p99Us).setP99AllIterations(true).setSamples(200).setRanks(8).build();
    }

    static PortRate port(String node, String device, int rail, String rate) {
        return PortRate.newBuilder().setNode(node).setDevice(device).setPort(1).setRail(rail).setRequired(true)
                .setLinkLayer("InfiniBand").setState("ACTIVE").setRateBytesPerSecond(Bandwidths.parse(rate)).build();
    }

    private static PortRate unused(String node, String device, String rate) {
        return PortRate.newBuilder().setNode(node).setDevice(device).setPort(1).setRail(-1).setLinkLayer("Ethernet")
                .setState("ACTIVE").setRateBytesPerSecond(Bandwidths.parse(rate)).build();
    }
}
