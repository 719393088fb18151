package dev.preflight.agent.check;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.gpu.GpuSources;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How long every node check takes on the 8-GPU/8-NIC fixture node (the storage read is off: it is
 * on demand only), as a run makes them (one host model shared by the checks) and, for comparison,
 * each check alone (a host model of its own, every part read again). Prints figures, asserts
 * nothing; run explicitly:
 * {@code mvn -B -q -pl agent -am test -Dtest=NodeChecksPerfTest -Dsurefire.failIfNoSpecifiedTests=false -Dpreflight.perf=true}
 */
class NodeChecksPerfTest {
    static final int WARMUP = 20;
    static final int PASSES = 50;

    @Test
    @EnabledIfSystemProperty(named = "preflight.perf", matches = "true", disabledReason = "a performance benchmark: run with -Dpreflight.perf=true")
    void allNodeChecksOnTheEightGpuNode() {
        HostFs fs = Fixtures.hostFs("hgx-8gpu-cx7-ndr");
        CheckRunner runner = new CheckRunner(fs, Fixtures.settings().build(),
                new GpuInventoryProbe(fs, GpuSources.defaults(), Clock.systemUTC()));
        List<Check> checks = Checks.standard().all();
        System.out.printf(Locale.ROOT, "node checks on hgx-8gpu-cx7-ndr (%d checks, %d processors, Java %s)%n", checks.size(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        measure("one run (host model shared by the checks)", runner, checks, true);
        measure("each check alone (a host model per check)", runner, checks, false);
    }

    private static void measure(String label, CheckRunner runner, List<Check> checks, boolean shared) {
        long cold = pass(runner, checks, shared, null);
        for (int i = 0; i < WARMUP; i++) {
            pass(runner, checks, shared, null);
        }
        long[] totals = new long[PASSES];
        Map<String, long[]> perCheck = new LinkedHashMap<>();
        checks.forEach(check -> perCheck.put(check.id(), new long[PASSES]));
        for (int i = 0; i < PASSES; i++) {
            final int pass = i;
            totals[i] = pass(runner, checks, shared, (id, micros) -> perCheck.get(id)[pass] = micros);
        }
        System.out.printf(Locale.ROOT, "  %s%n", label);
        System.out.printf(Locale.ROOT, "  first pass: %.1f ms%n", cold / 1e3);
        System.out.printf(Locale.ROOT, "  warm passes: median %.1f ms, p90 %.1f ms, max %.1f ms (%d passes after %d warm-up)%n",
                percentile(totals, 50) / 1e3, percentile(totals, 90) / 1e3, percentile(totals, 100) / 1e3, PASSES, WARMUP);
        List<String> lines = new ArrayList<>();
        perCheck.forEach((id, micros) -> lines.add(String.format(Locale.ROOT, "    %-22s median %7.2f ms", id, percentile(micros, 50) / 1e3)));
        lines.forEach(System.out::println);
    }

    interface Sink {
        void accept(String id, long micros);
    }

    /** One pass over every check, as one run or each check alone; the wall time in microseconds. */
    static long pass(CheckRunner runner, List<Check> checks, boolean shared, Sink sink) {
        long start = System.nanoTime();
        List<CheckResult> results = new ArrayList<>();
        if (shared) {
            results.addAll(runner.run(checks, CheckRunner.SILENT, () -> false));
        } else {
            for (Check check : checks) {
                results.add(runner.runOne(check));
            }
        }
        long micros = (System.nanoTime() - start) / 1_000;
        if (sink != null) {
            results.forEach(result -> sink.accept(result.getId(), result.getDurationMicros()));
        }
        return micros;
    }

    static double percentile(long[] values, int percentile) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
