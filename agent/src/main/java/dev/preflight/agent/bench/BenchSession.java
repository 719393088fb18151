package dev.preflight.agent.bench;

import com.google.protobuf.ByteString;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.WorkerAbort;
import dev.preflight.proto.v1.WorkerCreateUniqueId;
import dev.preflight.proto.v1.WorkerEvent;
import dev.preflight.proto.v1.WorkerFailure;
import dev.preflight.proto.v1.WorkerInitComm;
import dev.preflight.proto.v1.WorkerOpen;
import dev.preflight.proto.v1.WorkerOpened;
import dev.preflight.proto.v1.WorkerRequest;
import dev.preflight.proto.v1.WorkerRunSize;
import dev.preflight.proto.v1.WorkerShutdown;
import dev.preflight.proto.v1.WorkerSizeResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * This node's part of one communicator: a worker process per GPU, started with its NCCL
 * environment, driven in lock step (every worker gets its request, the session waits for every
 * answer), never waiting past a deadline. A worker that does not answer in time is asked to abort
 * and, if its abort hangs too, killed; one that dies is named. After a failure the session is
 * broken: the communicator is gone, and only close() is left.
 */
final class BenchSession implements AutoCloseable {
    /**
     * How long a worker gets to start its JVM, load the libraries and select its GPU, unless the
     * caller's deadline comes sooner.
     */
    static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /**
     * The longest grace: after the workers' deadline for their answer, then again for the abort
     * before the kill. Within a budget ({@link #fitInto}) each grace is a tenth of it, at most this.
     */
    static final Duration GRACE = Duration.ofSeconds(5);
    /**
     * Session directories (worker logs) kept under the bench directory; older ones are removed. At
     * least as many as benches can run at once (one run's, one per GPU), so no live one is pruned.
     */
    static final int KEPT_SESSIONS = BenchRequests.MAX_GPUS;
    /** How much of each worker's NCCL log the report carries (eight GPUs' stay well inside a gRPC message). */
    static final int LOG_EXCERPT_BYTES = 128 * 1024;
    /** A node's topology XML runs to kilobytes (the captured p4d one: 2.6 KiB); this bounds a pathological one. */
    static final int TOPOLOGY_EXCERPT_BYTES = 1024 * 1024;

    private static final DateTimeFormatter DIR_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS")
            .withZone(ZoneOffset.UTC);

    private final WorkerSettings settings;
    private final Map<String, String> environment;
    private final Path dir;
    private final BlockingQueue<WorkerProcess.Message> events = new LinkedBlockingQueue<>();
    private final List<WorkerProcess> workers = new ArrayList<>();
    private final List<WorkerOpened> opened = new ArrayList<>();
    /** Exit status of every worker known to have exited, by index. */
    private final Map<Integer, Integer> exited = new HashMap<>();
    private final AutoCloseable lock;
    private int rankOffset;
    /** How long the workers were given to start, for the error when they did not. */
    private Duration startAllowed = START_TIMEOUT;
    /** The answer and the abort grace of the calls now running (see {@link #fitInto}). */
    private Duration grace = GRACE;
    private boolean broken;
    private boolean closed;

    /** A failure while running: what the result reports. */
    static final class RunFailure extends Exception {
        private static final long serialVersionUID = 1L;

        final CollectiveResult.Outcome outcome;
        final String call;
        final List<Integer> ranks;

        RunFailure(CollectiveResult.Outcome outcome, String call, String message, List<Integer> ranks) {
            super(message);
            this.outcome = outcome;
            this.call = call;
            this.ranks = List.copyOf(ranks);
        }
    }

    /** The workers could not start: a request problem (a GPU that does not exist) or a node problem. */
    static final class StartFailure extends Exception {
        private static final long serialVersionUID = 1L;

        final boolean invalidArgument;

        StartFailure(boolean invalidArgument, String message) {
            super(message);
            this.invalidArgument = invalidArgument;
        }
    }

    private BenchSession(WorkerSettings settings, Map<String, String> environment, Path dir, AutoCloseable lock) {
        this.settings = settings;
        this.environment = environment;
        this.dir = dir;
        this.lock = lock;
    }

    /**
     * Starts a worker per GPU (every GPU the runtime sees when {@code gpus} is empty) and waits
     * until each has opened the libraries and selected its GPU, at the latest {@code deadline}. The
     * session owns {@code lock} and releases it on close, also when starting fails.
     */
    static BenchSession start(WorkerSettings settings, List<Integer> gpus, Map<String, String> ncclSettings,
            AutoCloseable lock, Instant deadline) throws StartFailure, IOException {
        Path dir = settings.benchWorkDir().resolve(DIR_TIME.format(Instant.now()) + "-" + ProcessHandle.current().pid()
                + "-" + Long.toHexString(System.nanoTime() & 0xffffff));
        Files.createDirectories(dir);
        prune(settings.benchWorkDir());
        Map<String, String> environment = new TreeMap<>(System.getenv());
        environment.putAll(settings.workerEnvironment());
        // non-blocking communicators are what make deadlines possible; the NCCL_DEBUG* settings are the bench's own
        environment.keySet().removeIf(name -> name.equals("NCCL_COMM_BLOCKING") || name.startsWith("NCCL_DEBUG"));
        environment.putAll(ncclSettings);
        environment.put("NCCL_DEBUG", "INFO");
        environment.put("NCCL_DEBUG_SUBSYS", "INIT,NET,ENV");
        BenchSession session = new BenchSession(settings, environment, dir, lock);
        try {
            session.startAllowed = Duration.between(Instant.now(), deadline);
            List<Integer> devices = new ArrayList<>(gpus);
            if (devices.isEmpty()) {
                session.spawn(0);
                session.awaitOpened(deadline);
                for (int gpu = 1; gpu < session.opened.get(0).getDeviceCount(); gpu++) {
                    session.spawn(gpu);
                }
            } else {
                for (int gpu : devices) {
                    session.spawn(gpu);
                }
            }
            session.awaitOpened(deadline);
            return session;
        } catch (StartFailure | IOException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /**
     * Keeps the newest KEPT_SESSIONS session directories (their names start with the UTC time); one
     * session prunes at a time, as a run's benches start together.
     */
    private static synchronized void prune(Path workDir) throws IOException {
        List<Path> sessions = new ArrayList<>();
        try (Stream<Path> entries = Files.list(workDir)) {
            entries.filter(Files::isDirectory).forEach(sessions::add);
        }
        sessions.sort(null);
        for (Path old : sessions.subList(0, Math.max(0, sessions.size() - KEPT_SESSIONS))) {
            try (Stream<Path> tree = Files.walk(old)) {
                for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
    }

    private void spawn(int gpu) throws IOException {
        Map<String, String> env = new TreeMap<>(environment);
        env.put("NCCL_DEBUG_FILE", ncclLog(gpu).toString());
        // NCCL writes it from the communicator's rank 0: the node's topology as NCCL detected it, for the report
        env.put("NCCL_TOPO_DUMP_FILE", ncclTopology(gpu).toString());
        // the worker's temporary files (its extracted JNI library) live and go with the session's logs
        List<String> command = new ArrayList<>(settings.workerCommand());
        command.add(1, "-Djava.io.tmpdir=" + dir);
        WorkerProcess worker = WorkerProcess.start(workers.size(), gpu, command, env,
                dir.resolve("worker-gpu" + gpu + ".stderr"), events);
        workers.add(worker);
        worker.send(WorkerRequest.newBuilder().setOpen(WorkerOpen.newBuilder()
                .setDevice(gpu)
                .setCudartLibrary(settings.cudartLibrary())
                .setNcclLibrary(settings.ncclLibrary()))
                .build());
    }

    private Path ncclLog(int gpu) {
        return dir.resolve("nccl-gpu" + gpu + ".log");
    }

    private Path ncclTopology(int gpu) {
        return dir.resolve("nccl-topo-gpu" + gpu + ".xml");
    }

    private void awaitOpened(Instant deadline) throws StartFailure {
        while (opened.size() < workers.size() || opened.contains(null)) {
            WorkerProcess.Message message = poll(deadline);
            if (message == null) {
                throw new StartFailure(false, "the bench workers did not start within " + seconds(startAllowed)
                        + " s (see " + dir + ")");
            }
            WorkerProcess worker = workers.get(message.index());
            if (message.exited()) {
                exited.put(message.index(), message.exitStatus());
                throw new StartFailure(false, "the bench worker for GPU " + worker.gpu() + " "
                        + WorkerProcess.describeExit(message.exitStatus()) + " while starting: " + worker.stderrTail());
            }
            WorkerEvent event = message.event();
            if (event.hasFailure()) {
                WorkerFailure failure = event.getFailure();
                boolean invalid = failure.getKind() == WorkerFailure.Kind.INVALID_ARGUMENT;
                // the runtime's refusal names the GPU already; a library failure gets it here
                throw new StartFailure(invalid, invalid ? failure.getMessage() : "GPU " + worker.gpu() + ": "
                        + failure.getMessage());
            }
            while (opened.size() <= message.index()) {
                opened.add(null);
            }
            opened.set(message.index(), event.getOpened());
        }
    }

    private WorkerProcess.Message poll(Instant until) {
        long millis = Duration.between(Instant.now(), until).toMillis();
        try {
            return millis <= 0 ? events.poll() : events.poll(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    List<Integer> gpus() {
        List<Integer> gpus = new ArrayList<>();
        for (WorkerProcess worker : workers) {
            gpus.add(worker.gpu());
        }
        return gpus;
    }

    List<WorkerOpened> opened() {
        return List.copyOf(opened);
    }

    int localRanks() {
        return workers.size();
    }

    int rankOffset() {
        return rankOffset;
    }

    long pid(int index) {
        return workers.get(index).pid();
    }

    /**
     * Fits the calls that follow into a budget of {@code budget} that ends at {@code end}: the
     * workers get a deadline two graces before the end, so waiting for their answer and then for
     * their abort come out of the budget instead of being added to it, and the last silent worker
     * is killed at {@code end}. Returns the workers' deadline.
     */
    Instant fitInto(Instant end, Duration budget) {
        grace = graceWithin(budget);
        return end.minus(grace.multipliedBy(2));
    }

    /** A tenth of the budget, at most {@link #GRACE}: a one-second bench still leaves 0.8 s to the collectives. */
    static Duration graceWithin(Duration budget) {
        Duration tenth = budget.dividedBy(10);
        return tenth.compareTo(GRACE) < 0 ? tenth : GRACE;
    }

    /** A fresh ncclUniqueId from the first worker, whose process becomes NCCL's bootstrap root. */
    ByteString createUniqueId(Instant deadline) throws RunFailure {
        List<WorkerRequest> requests = new ArrayList<>();
        requests.add(WorkerRequest.newBuilder().setCreateUniqueId(WorkerCreateUniqueId.getDefaultInstance()).build());
        return exchange(requests, deadline, "ncclGetUniqueId").get(0).getUniqueId().getUniqueId();
    }

    /** Every worker joins the communicator as rank rankOffset + its index. */
    void connect(ByteString uniqueId, int nranks, int rankOffset, Instant deadline) throws RunFailure {
        this.rankOffset = rankOffset;
        List<WorkerRequest> requests = new ArrayList<>();
        long timeout = Math.max(1, Duration.between(Instant.now(), deadline).toMillis());
        for (int i = 0; i < workers.size(); i++) {
            requests.add(WorkerRequest.newBuilder().setInitComm(WorkerInitComm.newBuilder()
                    .setUniqueId(uniqueId)
                    .setNranks(nranks)
                    .setRank(rankOffset + i)
                    .setTimeoutMs(timeout))
                    .build());
        }
        exchange(requests, deadline, "ncclCommInitRankConfig");
    }

    /**
     * One (op, size) on every worker; the answers, in worker order, agree on times and wrong counts
     * (averaged and summed across ranks) and differ in each rank's own per-iteration times.
     */
    List<WorkerSizeResult> runSize(List<WorkerRunSize> perWorker, Instant deadline, String call) throws RunFailure {
        List<WorkerRequest> requests = new ArrayList<>();
        for (WorkerRunSize run : perWorker) {
            requests.add(WorkerRequest.newBuilder().setRunSize(run).build());
        }
        List<WorkerSizeResult> results = new ArrayList<>();
        for (WorkerEvent event : exchange(requests, deadline, call)) {
            results.add(event.getSizeResult());
        }
        return results;
    }

    /**
     * Sends requests.get(i) to worker i and waits for the answers: past the deadline (plus grace)
     * the silent workers are asked to abort, past another grace they are killed. A failure or
     * death anywhere makes the others abort at once rather than wait for their deadline.
     */
    private List<WorkerEvent> exchange(List<WorkerRequest> requests, Instant deadline, String call) throws RunFailure {
        if (broken) {
            throw new RunFailure(CollectiveResult.Outcome.ERROR, call, "the communicator failed earlier", List.of());
        }
        Map<Integer, WorkerEvent> answers = new HashMap<>();
        Map<Integer, WorkerFailure> failures = new LinkedHashMap<>();
        Map<Integer, Integer> deaths = new LinkedHashMap<>();
        List<Integer> silent = new ArrayList<>();
        List<Integer> killed = new ArrayList<>();
        for (int i = 0; i < requests.size(); i++) {
            if (exited.containsKey(i) || !workers.get(i).send(requests.get(i))) {
                deaths.put(i, exited.getOrDefault(i, -1));
            }
        }
        boolean aborting = !deaths.isEmpty();
        if (aborting) {
            abortPending(requests.size(), answers, failures, deaths);
        }
        Instant giveUp = deadline.plus(grace);
        boolean killPhase = false;
        while (answers.size() + failures.size() + deaths.size() + killed.size() < requests.size()) {
            WorkerProcess.Message message = poll(giveUp);
            if (message == null) {
                List<Integer> pending = pending(requests.size(), answers, failures, deaths, killed);
                if (killPhase) {
                    for (int i : pending) {
                        workers.get(i).kill();
                        killed.add(i);
                    }
                    break;
                }
                silent.addAll(pending);
                abortPending(requests.size(), answers, failures, deaths);
                aborting = true;
                killPhase = true;
                giveUp = Instant.now().plus(grace);
                continue;
            }
            int index = message.index();
            if (message.exited()) {
                exited.put(index, message.exitStatus());
                if (index < requests.size() && !answers.containsKey(index) && !failures.containsKey(index)) {
                    deaths.put(index, message.exitStatus());
                }
            } else if (message.event().hasFailure()) {
                failures.put(index, message.event().getFailure());
            } else {
                answers.put(index, message.event());
                continue;
            }
            if (!aborting) {
                abortPending(requests.size(), answers, failures, deaths);
                aborting = true;
            }
        }
        if (failures.isEmpty() && deaths.isEmpty() && silent.isEmpty()) {
            List<WorkerEvent> ordered = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                ordered.add(answers.get(i));
            }
            return ordered;
        }
        broken = true;
        throw failure(call, failures, deaths, silent, killed, deadline);
    }

    private List<Integer> pending(int n, Map<Integer, WorkerEvent> answers, Map<Integer, WorkerFailure> failures,
            Map<Integer, Integer> deaths, List<Integer> killed) {
        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (!answers.containsKey(i) && !failures.containsKey(i) && !deaths.containsKey(i) && !killed.contains(i)) {
                pending.add(i);
            }
        }
        return pending;
    }

    private void abortPending(int n, Map<Integer, WorkerEvent> answers, Map<Integer, WorkerFailure> failures,
            Map<Integer, Integer> deaths) {
        for (int i : pending(n, answers, failures, deaths, List.of())) {
            workers.get(i).send(WorkerRequest.newBuilder().setAbort(WorkerAbort.getDefaultInstance()).build());
        }
    }

    /** Asks every worker to abort what it is doing (the client went away). */
    void abort() {
        for (int i = 0; i < workers.size(); i++) {
            if (!exited.containsKey(i)) {
                workers.get(i).send(WorkerRequest.newBuilder().setAbort(WorkerAbort.getDefaultInstance()).build());
            }
        }
    }

    /** The cause first: a death, else a timeout, else an error; ranks that were only aborted are consequences. */
    private RunFailure failure(String call, Map<Integer, WorkerFailure> failures, Map<Integer, Integer> deaths,
            List<Integer> silent, List<Integer> killed, Instant deadline) {
        if (!deaths.isEmpty()) {
            List<Integer> ranks = new ArrayList<>();
            List<String> what = new ArrayList<>();
            for (Map.Entry<Integer, Integer> death : deaths.entrySet()) {
                WorkerProcess worker = workers.get(death.getKey());
                ranks.add(rankOffset + death.getKey());
                String tail = lastLine(worker.stderrTail());
                what.add("rank " + (rankOffset + death.getKey()) + " (GPU " + worker.gpu() + ", pid " + worker.pid()
                        + ") " + (death.getValue() < 0 ? "was gone" : WorkerProcess.describeExit(death.getValue()))
                        + (tail.isEmpty() ? "" : ": " + tail));
            }
            return new RunFailure(CollectiveResult.Outcome.ERROR, call, "during " + call + ", " + String.join("; ", what),
                    ranks);
        }
        List<Integer> timedOut = new ArrayList<>();
        String firstTimeout = null;
        String timeoutCall = call;
        for (Map.Entry<Integer, WorkerFailure> failure : failures.entrySet()) {
            if (failure.getValue().getKind() == WorkerFailure.Kind.TIMEOUT) {
                timedOut.add(rankOffset + failure.getKey());
                if (firstTimeout == null) {
                    firstTimeout = failure.getValue().getMessage();
                    timeoutCall = failure.getValue().getCall();
                }
            }
        }
        for (int i : silent) {
            timedOut.add(rankOffset + i);
        }
        if (!timedOut.isEmpty()) {
            timedOut.sort(Integer::compare);
            StringBuilder message = new StringBuilder(firstTimeout != null ? firstTimeout
                    : call + " did not complete by the deadline " + deadline);
            if (!silent.isEmpty()) {
                message.append("; rank(s) ").append(ranksOf(silent)).append(" did not answer by the deadline and were aborted");
            }
            if (!killed.isEmpty()) {
                message.append("; rank(s) ").append(ranksOf(killed)).append(" did not return from the abort within ")
                        .append(seconds(grace)).append(" s and were killed");
            }
            return new RunFailure(CollectiveResult.Outcome.TIMEOUT, timeoutCall, message.toString(), timedOut);
        }
        List<Integer> ranks = new ArrayList<>();
        WorkerFailure first = null;
        for (Map.Entry<Integer, WorkerFailure> failure : failures.entrySet()) {
            if (failure.getValue().getKind() != WorkerFailure.Kind.ABORTED) {
                ranks.add(rankOffset + failure.getKey());
                first = first == null ? failure.getValue() : first;
            }
        }
        if (first == null) {
            return new RunFailure(CollectiveResult.Outcome.ERROR, call, call + " was aborted: the request was cancelled",
                    List.of());
        }
        return new RunFailure(CollectiveResult.Outcome.ERROR, first.getCall(), first.getMessage(), ranks);
    }

    private String ranksOf(List<Integer> indices) {
        List<String> ranks = new ArrayList<>();
        for (int i : indices) {
            ranks.add(Integer.toString(rankOffset + i));
        }
        return String.join(", ", ranks);
    }

    /** "5", "0.3": a grace in seconds as a person reads it. */
    static String seconds(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? Long.toString(millis / 1000)
                : String.format(Locale.ROOT, "%.1f", millis / 1000.0);
    }

    private static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    /** Each worker's NCCL log so far (the first LOG_EXCERPT_BYTES), in worker order; "" where none was written. */
    List<String> ncclLogs() {
        return excerpts(this::ncclLog, LOG_EXCERPT_BYTES);
    }

    /** The topology each worker's NCCL dumped (the first TOPOLOGY_EXCERPT_BYTES), in worker order; "" where none. */
    List<String> ncclTopologies() {
        return excerpts(this::ncclTopology, TOPOLOGY_EXCERPT_BYTES);
    }

    private List<String> excerpts(IntFunction<Path> file, int maxBytes) {
        List<String> texts = new ArrayList<>();
        for (WorkerProcess worker : workers) {
            Path path = file.apply(worker.gpu());
            String text = "";
            if (Files.isRegularFile(path)) {
                try (InputStream in = Files.newInputStream(path)) {
                    text = new String(in.readNBytes(maxBytes), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    // a file that cannot be read is as good as none: the report just lacks it
                    text = "";
                }
            }
            texts.add(text);
        }
        return texts;
    }

    /** Shuts the workers down (destroying the communicator), kills stragglers, releases the lock. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        WorkerRequest shutdown = WorkerRequest.newBuilder()
                .setShutdown(WorkerShutdown.newBuilder().setTimeoutMs(GRACE.toMillis()))
                .build();
        for (int i = 0; i < workers.size(); i++) {
            if (!exited.containsKey(i)) {
                workers.get(i).send(shutdown);
            }
        }
        Instant until = Instant.now().plus(GRACE.multipliedBy(2));
        while (exited.size() < workers.size()) {
            WorkerProcess.Message message = poll(until);
            if (message == null) {
                break;
            }
            if (message.exited()) {
                exited.put(message.index(), message.exitStatus());
            }
        }
        for (WorkerProcess worker : workers) {
            worker.close();
        }
        try {
            lock.close();
        } catch (Exception e) {
            System.err.println("preflight: releasing the bench lock: " + e.getMessage());
        }
    }
}
