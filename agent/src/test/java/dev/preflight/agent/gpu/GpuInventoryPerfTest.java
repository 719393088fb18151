package dev.preflight.agent.gpu;

import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.hostfs.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints the time of a full GPU inventory through each source; no assertion on time. Runs only
 * with -Dpreflight.perf=true, alone in its JVM so the first NVML load is the JVM's first:
 * mvn -B -q -pl agent -am test -Dpreflight.perf=true -Dtest=GpuInventoryPerfTest -Dsurefire.failIfNoSpecifiedTests=false
 */
class GpuInventoryPerfTest {
    @TempDir
    Path root;

    private interface Run {
        void run() throws Exception;
    }

    private static void measure(String what, int runs, Run run) throws Exception {
        for (int i = 0; i < Math.min(runs, 20); i++) {
            run.run();
        }
        long[] micros = new long[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            run.run();
            micros[i] = (System.nanoTime() - start) / 1_000;
        }
        Arrays.sort(micros);
        System.out.printf(Locale.ROOT, "perf %-58s median %9.3f ms  p90 %9.3f ms  (%d runs)%n",
                what, micros[runs / 2] / 1000.0, micros[runs * 9 / 10] / 1000.0, runs);
    }

    @Test
    @EnabledIfSystemProperty(named = "preflight.perf", matches = "true", disabledReason = "a performance benchmark: run with -Dpreflight.perf=true")
    void inventoryThroughEachSource() throws Exception {
        Path cache = Paths.get(System.getProperty(BytedecoNvml.JAVACPP_CACHE_PROPERTY, "target/javacpp-cache"));
        Files.createDirectories(cache);

        long start = System.nanoTime();
        String failure;
        try {
            new BytedecoNvml.Loader(cache).open().close();
            failure = "loaded (a driver is present)";
        } catch (GpuSourceException e) {
            failure = e.getMessage();
        }
        System.out.printf(Locale.ROOT, "perf %-58s %9.3f ms  (%s)%n", "NVML binding load, first in this JVM (fails here)",
                (System.nanoTime() - start) / 1e6, failure.substring(0, Math.min(80, failure.length())));
        measure("NVML binding load, again (failure remembered)", 1000, () -> {
            try {
                new BytedecoNvml.Loader(cache).open();
            } catch (GpuSourceException expected) {
                // the remembered failure is what is timed
            }
        });

        NvmlInventory fake = new NvmlInventory(FakeNvml.h100Hgx().loader());
        measure("NVML logic over FakeNvml, 8x H100 (all facts, 28 P2P pairs)", 2000, fake::read);

        GpuTestNode node = new GpuTestNode(root).pciBus("pci-hgx-h100-8gpu.tsv", "nvidia");
        HostFs fs = node.fs();
        PciBusInventory pci = new PciBusInventory(fs);
        measure("PCI bus in sysfs, 8 GPUs + 1 NIC", 2000, pci::read);

        String xml = Files.readString(GpuTestNode.fixture("q-x-a100-sxm4-80gb-mig-535.54.03.xml"), StandardCharsets.UTF_8);
        measure("nvidia-smi -q -x parse only (22 KB, 1 GPU)", 2000, () -> {
            try {
                NvidiaSmiXml.parse("bench", xml);
            } catch (MalformedInputException expected) {
                // attached_gpus=4 with one <gpu>: parsed in full before the count is compared
            }
        });
        Path script = node.fakeNvidiaSmi();
        String wrapper = ScriptEnvironment.wrap(script, root, GpuTestNode.fixture("roster-a100-sxm4-40gb-mig.csv"),
                GpuTestNode.fixture("q-x-a100-sxm4-40gb-mig-510.47.03.xml"));
        NvidiaSmiInventory smi = new NvidiaSmiInventory(wrapper, Duration.ofSeconds(20));
        measure("nvidia-smi via the fake script (2 processes + parse, 1 GPU)", 50, smi::read);

        GpuSources settings = GpuSources.builder().javacppCacheDir(cache)
                .nvidiaSmi(root.resolve("absent-nvidia-smi").toString()).build();
        GpuInventoryProbe probe = new GpuInventoryProbe(fs, settings, Clock.systemUTC());
        measure("full probe: NVML fails, nvidia-smi absent, PCI answers", 200, probe::take);
    }
}
