package dev.preflight.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.gpu.GpuSources;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Scope;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeriodicChecksTest {
    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    /** A host-scoped check that reads the kernel release from the fixture tree, as a real one would. */
    private static final class KernelCheck extends Check {
        KernelCheck() {
            super("host.kernel", Scope.HOST, "kernel release is readable");
        }

        @Override
        public Finding run(CheckContext context) throws Exception {
            String release = context.read(context.fs().proc("sys/kernel/osrelease")).strip();
            return release.isEmpty() ? Finding.fail("no kernel release") : Finding.pass("kernel " + release);
        }
    }

    /** Stands in for the model-store read: host-scoped, but must never run on the timer. */
    private static final class CountingCheck extends Check {
        final AtomicInteger runs = new AtomicInteger();

        CountingCheck(String id, Scope scope) {
            super(id, scope, "counts its runs");
        }

        @Override
        public Finding run(CheckContext context) {
            runs.incrementAndGet();
            return Finding.pass("ran");
        }
    }

    @Test
    void onlyLightHostScopedChecksRepeatAndTheirStatusIsExportedAndLabelled() throws Exception {
        CountingCheck storage = new CountingCheck("storage.models", Scope.HOST);
        CountingCheck memlock = new CountingCheck("host.memlock", Scope.PROCESS);
        List<Check> catalog = new ArrayList<>(List.of(new KernelCheck(), storage, memlock));
        AgentMetrics metrics = new AgentMetrics("gpu-01");
        Path features = dir.resolve("features.d").resolve("preflight");
        NfdFeatureFile nfd = new NfdFeatureFile(features, Duration.ofMinutes(15));
        StringWriter log = new StringWriter();
        HostFs fs = Fixtures.hostFs("docker-default");
        try (PeriodicChecks periodic = new PeriodicChecks(catalog, new CheckRunner(fs, CheckSettings.defaults(),
                new GpuInventoryProbe(fs, GpuSources.defaults(), CLOCK)), metrics, Optional.of(nfd), CLOCK, new PrintWriter(log))) {
            List<CheckResult> results = periodic.runOnce();
            assertEquals(List.of("host.kernel"), results.stream().map(CheckResult::getId).toList());
            assertEquals(CheckResult.Status.PASS, results.get(0).getStatus());
        }
        assertEquals(0, storage.runs.get());
        assertEquals(0, memlock.runs.get());
        PrometheusText scrape = PrometheusText.parse(metrics.scrape());
        assertEquals(1.0, scrape.value("preflight_check_status", "check", "host.kernel", "status", "pass"));
        assertTrue(scrape.find("preflight_check_status", "check", "host.memlock").isEmpty());
        assertEquals("# +expiry-time=2025-06-01T12:15:00Z\n"
                + "# written by the preflight agent: its host-scoped checks at 2025-06-01T12:00:00Z\n"
                + "preflight.host.kernel=pass\n"
                + "preflight.healthy=true\n", Files.readString(features));
        assertEquals("", log.toString());
        try (var leftovers = Files.list(features.getParent())) {
            assertEquals(List.of(features), leftovers.toList());
        }
    }

    @Test
    void theStandardCatalogsPeriodicSetLeavesProcessScopedChecksOut() {
        for (Check check : PeriodicChecks.periodic(Checks.standard().all())) {
            assertEquals(Scope.HOST, check.scope(), check.id());
            assertFalse(check.id().equals("storage.models"));
        }
    }

    @Test
    void aFailOrErrorMakesTheNodeUnhealthyAndOddIdsAreLeftOutOfTheLabels() {
        String text = NfdFeatureFile.render(List.of(
                CheckResult.newBuilder().setId("gpu.ecc").setStatus(CheckResult.Status.FAIL).build(),
                CheckResult.newBuilder().setId("x".repeat(80)).setStatus(CheckResult.Status.PASS).build()),
                NOW, Duration.ofMinutes(10));
        assertTrue(text.contains("preflight.gpu.ecc=fail\n"));
        assertTrue(text.endsWith("preflight.healthy=false\n"));
        assertFalse(text.contains("xxxx"));
    }
}
