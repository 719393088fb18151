package dev.preflight.agent.gpu;

import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuProcess;
import dev.preflight.proto.v1.GpuSourceAttempt;
import dev.preflight.proto.v1.PciGpu;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Takes the node's GPU inventory: the PCI bus first (the reference every other view is checked
 * against), then NVML, nvidia-smi and the PCI bus again as sources, the first that answers
 * winning, every attempt recorded with its outcome and time. A source that fails never stops the
 * next; the inventory itself never throws.
 *
 * <p>One inventory serves the node info and every gpu.* check of a run: it is kept for
 * {@link #MAX_AGE} per agent, as NVML initialisation and nvidia-smi cost up to seconds each time,
 * and callers wait for it with a bound of their own.
 */
public final class GpuInventoryProbe {
    /** Long enough to span one run (node info, then the checks), short enough that the next run looks again. */
    public static final Duration MAX_AGE = Duration.ofSeconds(30);

    private static final Map<GpuSources, Map<HostFs, GpuInventoryProbe>> SHARED = new WeakHashMap<>();
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Inventories run off the caller's thread, so a hung NVML call costs a thread, never the agent. */
    private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "preflight-gpu-inventory-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    private final HostFs fs;
    private final List<GpuInventory> sources;
    private final PciBusInventory pciBus;
    private final Clock clock;
    private CompletableFuture<dev.preflight.proto.v1.GpuInventory> pending;
    private Instant lastTaken = Instant.MIN;

    public GpuInventoryProbe(HostFs fs, GpuSources settings, Clock clock) {
        this.fs = fs;
        this.pciBus = new PciBusInventory(fs);
        this.sources = List.of(
                new NvmlInventory(settings.nvmlLoader()),
                new NvidiaSmiInventory(settings.nvidiaSmi(), settings.nvidiaSmiTimeout()),
                pciBus);
        this.clock = clock;
    }

    /** The probe of the agent with these roots and sources, shared by its node info, its checks and its bench. */
    public static GpuInventoryProbe shared(HostFs fs, GpuSources sources) {
        synchronized (SHARED) {
            return SHARED.computeIfAbsent(sources, key -> new WeakHashMap<>())
                    .computeIfAbsent(fs, key -> new GpuInventoryProbe(fs, sources, Clock.systemUTC()));
        }
    }

    /**
     * The inventory, waiting at most {@code wait} for it: taken now unless one younger than
     * {@link #MAX_AGE} exists or one is being taken. Empty when it is not ready in time (a hung
     * driver or nvidia-smi); it goes on in the background and serves later callers.
     */
    public Optional<dev.preflight.proto.v1.GpuInventory> inventory(Duration wait) throws InterruptedException {
        CompletableFuture<dev.preflight.proto.v1.GpuInventory> current;
        synchronized (this) {
            Instant now = clock.instant();
            if (pending == null || (pending.isDone() && Duration.between(lastTaken, now).compareTo(MAX_AGE) > 0)) {
                pending = CompletableFuture.supplyAsync(() -> {
                    dev.preflight.proto.v1.GpuInventory taken = take();
                    synchronized (this) {
                        lastTaken = clock.instant();
                    }
                    return taken;
                }, EXECUTOR);
            }
            current = pending;
        }
        try {
            return Optional.of(current.get(Math.max(1, wait.toMillis()), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("GPU inventory failed: " + e.getCause(), e.getCause());
        }
    }

    /** A fresh inventory, every source tried in order until one answers. */
    public dev.preflight.proto.v1.GpuInventory take() {
        long start = System.nanoTime();
        dev.preflight.proto.v1.GpuInventory.Builder result = dev.preflight.proto.v1.GpuInventory.newBuilder();
        List<PciGpu> bus;
        try {
            bus = pciBus.devices();
        } catch (GpuSourceException e) {
            bus = List.of();
            result.addUnavailable("PCI bus: " + e.getMessage());
        }
        result.addAllPciDevices(bus);
        boolean answered = false;
        for (GpuInventory source : sources) {
            if (answered) {
                result.addAttempts(GpuSourceAttempt.newBuilder().setSource(source.source())
                        .setOutcome(GpuSourceAttempt.Outcome.NOT_TRIED));
                continue;
            }
            long attemptStart = System.nanoTime();
            GpuSourceAttempt.Builder attempt = GpuSourceAttempt.newBuilder().setSource(source.source());
            try {
                dev.preflight.proto.v1.GpuInventory answer = source.read();
                result.mergeFrom(answer).setSource(source.source());
                attempt.setOutcome(GpuSourceAttempt.Outcome.USED)
                        .setDetail(answer.getGpusCount() + " GPU(s)");
                answered = true;
            } catch (GpuSourceException e) {
                attempt.setOutcome(e.isUnavailable() ? GpuSourceAttempt.Outcome.UNAVAILABLE : GpuSourceAttempt.Outcome.FAILED)
                        .setDetail(e.getMessage());
            } catch (RuntimeException | LinkageError e) {
                // a bug or a broken binding in one source must not cost the node its inventory
                attempt.setOutcome(GpuSourceAttempt.Outcome.FAILED).setDetail(source.source() + ": " + e);
            }
            result.addAttempts(attempt.setDurationMicros((System.nanoTime() - attemptStart) / 1_000));
        }
        for (int i = 0; i < result.getGpusCount(); i++) {
            Gpu gpu = result.getGpus(i);
            if (gpu.getProcessesCount() > 0) {
                Gpu.Builder named = gpu.toBuilder().clearProcesses();
                for (GpuProcess process : gpu.getProcessesList()) {
                    named.addProcesses(process.getName().isEmpty()
                            ? process.toBuilder().setName(commandName(process.getPid())).build() : process);
                }
                result.setGpus(i, named);
            }
        }
        return result.setDurationMicros((System.nanoTime() - start) / 1_000).build();
    }

    /**
     * NVML reports PIDs in the host's namespace, even to a container; their names come from the
     * procfs root, so a containerised agent needs the host's /proc there (--procfs /host/proc).
     */
    private String commandName(int pid) {
        try {
            return HostFs.readText(fs.proc(pid + "/comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
