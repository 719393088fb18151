package dev.preflight.agent.bench;

import dev.preflight.proto.v1.WorkerOpen;
import dev.preflight.proto.v1.WorkerRequest;
import dev.preflight.proto.v1.WorkerShutdown;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Worker start-up time: from spawning the JVM to its answer that the CUDA runtime and NCCL are
 * loaded and the GPU selected (docs/benchmarks.md). A performance benchmark, not a test; run with
 * java -cp coordinator/target/preflight.jar:agent/target/test-classes
 *   dev.preflight.agent.bench.WorkerStartupPerf FAKE_DIR RUNS WORKERS
 */
public final class WorkerStartupPerf {
    private WorkerStartupPerf() {}

    public static void main(String[] args) throws Exception {
        Path fake = Paths.get(args[0]);
        int runs = Integer.parseInt(args[1]);
        int workers = Integer.parseInt(args[2]);
        Map<String, String> env = new TreeMap<>(System.getenv());
        env.put("FAKE_CUDA_DEVICE_COUNT", Integer.toString(workers));
        Path dir = Files.createTempDirectory("worker-startup");
        List<Double> millis = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            BlockingQueue<WorkerProcess.Message> events = new LinkedBlockingQueue<>();
            List<WorkerProcess> started = new ArrayList<>();
            long start = System.nanoTime();
            for (int gpu = 0; gpu < workers; gpu++) {
                WorkerProcess worker = WorkerProcess.start(gpu, gpu, WorkerLauncher.defaultCommand(), env,
                        dir.resolve("stderr-" + run + "-" + gpu), events);
                worker.send(WorkerRequest.newBuilder().setOpen(WorkerOpen.newBuilder().setDevice(gpu)
                        .setCudartLibrary(fake.resolve("libfakecudart.so").toString())
                        .setNcclLibrary(fake.resolve("libfakenccl.so").toString())).build());
                started.add(worker);
            }
            for (int answered = 0; answered < workers; answered++) {
                WorkerProcess.Message message = events.poll(60, TimeUnit.SECONDS);
                if (message == null || message.exited() || !message.event().hasOpened()) {
                    throw new IllegalStateException("worker did not open: " + message);
                }
            }
            millis.add((System.nanoTime() - start) / 1e6);
            for (WorkerProcess worker : started) {
                worker.send(WorkerRequest.newBuilder().setShutdown(WorkerShutdown.newBuilder().setTimeoutMs(5000)).build());
            }
            for (int exited = 0; exited < workers; ) {
                WorkerProcess.Message message = events.poll(30, TimeUnit.SECONDS);
                if (message == null) {
                    break;
                }
                exited += message.exited() ? 1 : 0;
            }
            started.forEach(WorkerProcess::close);
        }
        List<Double> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        System.out.printf(Locale.ROOT, "workers=%d runs=%d start_to_opened_ms median=%.0f min=%.0f max=%.0f all=%s%n",
                workers, runs, sorted.get(sorted.size() / 2), sorted.get(0), sorted.get(sorted.size() - 1), millis);
    }
}
