package dev.preflight.agent.check;

import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.gpu.GpuInventoryProbe;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.hostfs.HostModel;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.proto.v1.CheckResult;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Runs checks one after another, each on its own daemon thread with a deadline: a check stuck on a
 * dead NFS mount becomes an ERROR result instead of a hung agent. One check failing never spoils
 * the others.
 */
public final class CheckRunner {
    /** Progress callbacks, in order: started, then finished, once per check. */
    public interface Listener {
        void started(String checkId, int done, int total);

        void finished(CheckResult result, int done, int total);
    }

    public static final Listener SILENT = new Listener() {
        @Override
        public void started(String checkId, int done, int total) {}

        @Override
        public void finished(CheckResult result, int done, int total) {}
    };

    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "preflight-check-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    private final HostFs fs;
    private final CheckSettings settings;
    private final GpuInventoryProbe gpuInventory;

    public CheckRunner(HostFs fs, CheckSettings settings, GpuInventoryProbe gpuInventory) {
        this.fs = fs;
        this.settings = settings;
        this.gpuInventory = gpuInventory;
    }

    public CheckSettings settings() {
        return settings;
    }

    /** The same runner under other settings (a run that also reads the model store). */
    public CheckRunner withSettings(CheckSettings other) {
        return new CheckRunner(fs, other, gpuInventory);
    }

    /** Runs the checks in order; stops early (results so far) once {@code cancelled} says so. */
    public List<CheckResult> run(List<Check> checks, Listener listener, BooleanSupplier cancelled) {
        List<CheckResult> results = new ArrayList<>(checks.size());
        int total = checks.size();
        // One reading of the node per run: the checks judge the same parts, read once.
        HostModel host = new HostModel(fs);
        for (Check check : checks) {
            if (cancelled.getAsBoolean()) {
                break;
            }
            listener.started(check.id(), results.size(), total);
            CheckResult result = runOne(check, host);
            results.add(result);
            listener.finished(result, results.size(), total);
        }
        return results;
    }

    public CheckResult runOne(Check check) {
        return runOne(check, new HostModel(fs));
    }

    private CheckResult runOne(Check check, HostModel host) {
        CheckContext context = new CheckContext(host, settings, gpuInventory);
        long start = System.nanoTime();
        Finding finding;
        Duration timeout = settings.checkTimeout();
        Future<Finding> future = EXECUTOR.submit(() -> check.run(context));
        try {
            finding = future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (finding == null) {
                finding = Finding.error("check returned no finding (a bug in " + check.id() + ")");
            }
        } catch (TimeoutException e) {
            future.cancel(true);
            finding = Finding.error("did not finish within " + timeout.toSeconds()
                    + " s (a hung filesystem or device read?)");
        } catch (InterruptedException e) {
            future.cancel(true);
            Thread.currentThread().interrupt();
            finding = Finding.error("interrupted");
        } catch (CancellationException e) {
            finding = Finding.error("cancelled");
        } catch (ExecutionException e) {
            finding = Finding.error(describe(e.getCause()));
        }
        long micros = (System.nanoTime() - start) / 1_000;
        return finding.toResultBuilder()
                .setId(check.id())
                .setScope(check.scope())
                .addAllEvidence(context.evidence())
                .setDurationMicros(micros)
                .build();
    }

    private static String describe(Throwable cause) {
        if (cause instanceof MalformedInputException) {
            return cause.getMessage();
        }
        if (cause instanceof IOException) {
            return "cannot read " + IoErrors.describe((IOException) cause);
        }
        return "internal error: " + cause;
    }
}
