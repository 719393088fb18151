package dev.preflight.coordinator.report;

import dev.preflight.coordinator.SampleReports;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.NodeGpus;
import dev.preflight.proto.v1.Measurements.PortRate;
import dev.preflight.proto.v1.Measurements.StorageRead;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.ReportFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How long scoring and rendering a 1,000-node report takes. Prints figures, asserts nothing about
 * time; runs only with -Dpreflight.perf=true (see docs/benchmarks.md).
 */
class RenderPerfTest {
    static final int NODES = 1000;

    static PreflightReport thousandNodes() {
        PreflightReport sample = SampleReports.cluster();
        Sweep intra = sample.getMeasurements().getSeries(0);
        PreflightReport.Builder report = sample.toBuilder().clearNodes().clearMeasurements();
        Measurements.Builder m = Measurements.newBuilder();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < NODES; i++) {
            String name = String.format(Locale.ROOT, "gpu-%04d", i);
            names.add(name);
            report.addNodes(SampleReports.node(name, false));
            m.addSeries(intra.toBuilder().setNodes(0, name));
            for (int rail = 0; rail < 8; rail++) {
                m.addPorts(PortRate.newBuilder().setNode(name).setDevice("mlx5_" + rail).setPort(1).setRail(rail)
                        .setRateBytesPerSecond(50e9).setLinkLayer("InfiniBand"));
            }
            m.addLatency(LatencyResult.newBuilder().setOp("all_reduce").addNodes(name).setBytes(16384).setP50Us(11.8)
                    .setP99Us(16.2).setSamples(2000).setRanks(8));
            m.addStorage(StorageRead.newBuilder().setNode(name).setPath("/models").setReadBytesPerSecond(2e9).setConcurrent(true));
            m.addGpus(NodeGpus.newBuilder().setNode(name).setCount(8).setModel("NVIDIA H100 80GB HBM3").setMemoryBytes(85_899_345_920L));
        }
        for (int i = 0; i + 1 < NODES; i += 2) {
            for (int rail = 0; rail < 8; rail++) {
                m.addSeries(SampleReports.railSeries(List.of(names.get(i), names.get(i + 1)), rail, i == 42 && rail == 3 ? 31 : 47));
            }
        }
        return report.setMeasurements(m).build();
    }

    @Test
    @EnabledIfSystemProperty(named = "preflight.perf", matches = "true", disabledReason = "a performance benchmark: run with -Dpreflight.perf=true")
    void scoreAndRenderAThousandNodes() throws Exception {
        PreflightReport raw = thousandNodes();
        Scorer scorer = new Scorer(Policy.defaults());
        PreflightReport scored = scorer.score(raw);
        System.out.printf(Locale.ROOT, "report: %d nodes, %d checks, %d series, %d links%n", scored.getNodesCount(),
                scored.getNodesList().stream().mapToInt(n -> n.getChecksCount()).sum() + scored.getClusterChecksCount(),
                scored.getMeasurements().getSeriesCount(), scored.getScoring().getLinksCount());
        measure("score", () -> scorer.score(raw).getVerdict().name().length());
        for (ReportFormat format : ReportFormat.values()) {
            int[] size = new int[1];
            measure("render " + format.key(), () -> {
                size[0] = format.render(scored).length();
                return size[0];
            });
            System.out.printf(Locale.ROOT, "  %s: %.0f kB%n", format.key(), size[0] / 1e3);
        }
        // kept for timing the page in a browser (docs/benchmarks.md)
        Path out = Path.of("target", "perf");
        Files.createDirectories(out);
        Files.writeString(out.resolve(ReportFormat.HTML.fileName()), ReportFormat.HTML.render(scored));
    }

    private static void measure(String what, Supplier<Integer> work) {
        for (int i = 0; i < 2; i++) {
            work.get();
        }
        long[] times = new long[5];
        for (int i = 0; i < times.length; i++) {
            long start = System.nanoTime();
            work.get();
            times[i] = System.nanoTime() - start;
        }
        Arrays.sort(times);
        System.out.printf(Locale.ROOT, "%-14s median %.0f ms (min %.0f, max %.0f) over 5 runs after 2 warm-ups%n", what,
                times[2] / 1e6, times[0] / 1e6, times[4] / 1e6);
    }
}
