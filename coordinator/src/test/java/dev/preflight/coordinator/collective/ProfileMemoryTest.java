package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The full profile asks 8 GiB per size on every GPU: on 16 GiB GPUs it is cut to fit, and says so. */
class ProfileMemoryTest {
    /** The full profile as it is: no --max-bytes cap (FakeBench's settings cap sizes at 64 KiB). */
    private static final BenchSettings FULL = new BenchSettings(BenchProfile.FULL, 0, 5, Optional.empty(),
            Duration.ofMinutes(10), 0, 0, List.of(), Optional.empty(), Duration.ofSeconds(1));

    private static List<BenchNode> nodes(long gpuMemoryBytes) {
        List<BenchNode> nodes = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            nodes.add(new BenchNode(i, "node-" + (i + 1), new AgentTarget("node-" + (i + 1) + ":7744", null),
                    List.of(0, 1), "", gpuMemoryBytes));
        }
        return nodes;
    }

    @Test
    void sixteenGibGpusGetTheFullProfileCutToFourGib() {
        FakeBench bench = new FakeBench(comm -> 40);
        List<String> lines = new ArrayList<>();
        try (BenchContext ctx = FakeBench.context(FULL, nodes(16 * ByteSizes.GIB),
                bench::run, lines::add)) {
            AllNodesPhase.run(ctx);
            assertTrue(bench.ran.stream().allMatch(c -> c.spec().getMaxBytes() <= 4 * ByteSizes.GIB), bench.ran.toString());
            assertTrue(bench.ran.stream().anyMatch(c -> c.spec().getMaxBytes() == 4 * ByteSizes.GIB), bench.ran.toString());
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("all_nodes: sizes capped at 4 GiB instead of 8 GiB")),
                    lines.toString());
            CheckResult said = ctx.results().clusterChecks().stream()
                    .filter(c -> c.getId().equals(BenchContext.BENCH_ID)).findFirst().orElseThrow();
            assertEquals(CheckResult.Status.PASS, said.getStatus());
            assertTrue(said.getSummary().startsWith("the all_nodes benches ran with sizes capped at 4 GiB"),
                    said.getSummary());
        }
    }

    @Test
    void eightyGibGpusRunTheProfileAsItIs() {
        FakeBench bench = new FakeBench(comm -> 40);
        List<String> lines = new ArrayList<>();
        try (BenchContext ctx = FakeBench.context(FULL, nodes(80 * ByteSizes.GIB),
                bench::run, lines::add)) {
            AllNodesPhase.run(ctx);
            assertTrue(bench.ran.stream().anyMatch(c -> c.spec().getMaxBytes() == 8 * ByteSizes.GIB), bench.ran.toString());
            assertTrue(lines.stream().noneMatch(l -> l.contains("capped")), lines.toString());
        }
    }
}
