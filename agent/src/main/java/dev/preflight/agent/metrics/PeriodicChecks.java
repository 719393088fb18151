package dev.preflight.agent.metrics;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Scope;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's watch: host-scoped checks re-run every interval, their results exported as metrics
 * (and NFD labels when asked). Process-scoped checks are left out — in a DaemonSet they describe
 * the agent's pod, not the node — and so is the model-store read, which moves gigabytes.
 */
public final class PeriodicChecks implements AutoCloseable {
    /** Checks too heavy to repeat on a timer; they run when a coordinator asks. */
    static final Set<String> NEVER_PERIODIC = Set.of("storage.models");

    private final List<Check> checks;
    private final CheckRunner runner;
    private final AgentMetrics metrics;
    private final Optional<NfdFeatureFile> features;
    private final Clock clock;
    private final PrintWriter log;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "preflight-periodic-checks");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean closed;

    public PeriodicChecks(List<Check> catalog, CheckRunner runner, AgentMetrics metrics,
            Optional<NfdFeatureFile> features, Clock clock, PrintWriter log) {
        this.checks = periodic(catalog);
        this.runner = runner;
        this.metrics = metrics;
        this.features = features;
        this.clock = clock;
        this.log = log;
    }

    /** The checks that re-run: host-scoped, and light enough to repeat. */
    public static List<Check> periodic(List<Check> catalog) {
        return catalog.stream()
                .filter(check -> check.scope() == Scope.HOST && !NEVER_PERIODIC.contains(check.id()))
                .toList();
    }

    public List<Check> checks() {
        return checks;
    }

    /** Runs now, then every {@code interval} after the previous run ended. */
    public void start(Duration interval) {
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                runOnce();
            } catch (RuntimeException e) {
                // a thrown exception would silently end the schedule: report it and keep going
                report("a periodic check round failed: " + e);
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One round: the checks, then their metrics and labels. */
    public List<CheckResult> runOnce() {
        List<CheckResult> results = runner.run(checks, CheckRunner.SILENT, () -> closed);
        metrics.recordChecks(results, clock.instant());
        features.ifPresent(file -> {
            try {
                file.write(results, clock.instant());
            } catch (IOException | RuntimeException e) {
                report("cannot write the NFD feature file " + file.file() + ": " + e.getMessage());
            }
        });
        return results;
    }

    private void report(String message) {
        synchronized (log) {
            log.println("preflight: " + message);
            log.flush();
        }
    }

    @Override
    public void close() {
        closed = true;
        scheduler.shutdownNow();
    }
}
