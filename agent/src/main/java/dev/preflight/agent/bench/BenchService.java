package dev.preflight.agent.bench;

import com.google.protobuf.ByteString;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.CreateCommIdRequest;
import dev.preflight.proto.v1.CreateCommIdResponse;
import dev.preflight.proto.v1.NcclSetting;
import dev.preflight.proto.v1.RunCollectiveRequest;
import dev.preflight.proto.v1.SizeProgress;
import dev.preflight.proto.v1.TransportProof;
import dev.preflight.proto.v1.WorkerOpened;
import dev.preflight.proto.units.ByteSizes;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The agent's bench RPCs. CreateCommId starts this node's workers under the node lock and hands
 * out a fresh ncclUniqueId; the workers wait (up to a TTL) for RunCollective with that id, which
 * joins the communicator and runs the sweep. An agent that did not make the id starts its workers
 * in RunCollective. Refusals are gRPC statuses (INVALID_ARGUMENT, RESOURCE_EXHAUSTED,
 * FAILED_PRECONDITION); what happened while benching is data in the results.
 */
public final class BenchService implements AutoCloseable {
    private final WorkerSettings settings;
    private final Consumer<CollectiveResults> benchResults;
    private final RdmaPorts rdmaPorts;
    private final GpuBusyProbe busyProbe;
    private final BenchLeases leases;
    private final Map<ByteString, Pending> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService expiry = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "preflight-bench-expiry");
        thread.setDaemon(true);
        return thread;
    });

    /** Workers started by CreateCommId, waiting for RunCollective. */
    private record Pending(BenchSession session, Map<String, String> ncclSettings) {}

    /**
     * @param nodeName the agent's node name ("" for the hostname), to say who holds the node's bench lock
     * @param benchResults told of every bench this agent ran
     */
    public BenchService(WorkerSettings settings, String nodeName, Consumer<CollectiveResults> benchResults, RdmaPorts rdmaPorts,
            GpuBusyProbe busyProbe) {
        this.settings = settings;
        this.benchResults = benchResults;
        this.rdmaPorts = rdmaPorts;
        this.busyProbe = busyProbe;
        this.leases = new BenchLeases(settings.benchLockDir(), "preflight agent"
                + (nodeName.isEmpty() ? "" : " " + nodeName));
    }

    /**
     * Starts the workers and makes the id; {@code callerDeadline} (null for none) bounds the start
     * when it comes before {@link BenchSession#START_TIMEOUT}.
     */
    public CreateCommIdResponse createCommId(CreateCommIdRequest request, Deadline callerDeadline)
            throws StatusException {
        Map<String, String> nccl;
        long ttl;
        String run;
        try {
            BenchRequests.gpus("gpus", request.getGpusList());
            nccl = ncclSettings(request.getNcclSettingsList());
            ttl = BenchRequests.ttlSeconds(request.getTtl());
            run = BenchRequests.benchRun(request.getBenchRun());
        } catch (IllegalArgumentException e) {
            throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException();
        }
        Instant startBy = startBy(callerDeadline);
        BenchSession session = start(request.getGpusList(), nccl, request.getForce(), run, startBy);
        ByteString id;
        try {
            id = session.createUniqueId(startBy);
        } catch (BenchSession.RunFailure e) {
            session.close();
            throw Status.FAILED_PRECONDITION.withDescription("ncclGetUniqueId: " + e.getMessage()).asException();
        }
        pending.put(id, new Pending(session, nccl));
        expiry.schedule(() -> {
            Pending expired = pending.remove(id);
            if (expired != null) {
                expired.session().close();
            }
        }, ttl, TimeUnit.SECONDS);
        return CreateCommIdResponse.newBuilder()
                .setCommId(id)
                .setLocalRanks(session.localRanks())
                .addAllGpus(session.gpus())
                .setNcclVersion(session.opened().get(0).getNcclVersion())
                .setNcclLibrary(session.opened().get(0).getNcclLibrary())
                .addAllFreeBytes(session.opened().stream().map(WorkerOpened::getFreeBytes).toList())
                .build();
    }

    /**
     * Joins the communicator and runs the sweep, reporting each size to {@code progress}; a
     * cancelled {@code context} aborts the workers.
     */
    public CollectiveResults runCollective(RunCollectiveRequest request, Consumer<SizeProgress> progress,
            Context context) throws StatusException {
        Map<String, String> nccl;
        String run;
        try {
            BenchRequests.communicator(request.getCommId().toByteArray(), request.getNranks(), request.getRankOffset());
            BenchRequests.gpus("gpus", request.getGpusList());
            nccl = ncclSettings(request.getNcclSettingsList());
            BenchRequests.spec(request.getSpec(), request.getNranks());
            run = BenchRequests.benchRun(request.getBenchRun());
        } catch (IllegalArgumentException e) {
            throw Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asException();
        }
        Pending made = pending.remove(request.getCommId());
        BenchSession session;
        if (made != null) {
            session = made.session();
            if (!made.ncclSettings().equals(nccl)) {
                session.close();
                throw Status.INVALID_ARGUMENT.withDescription("nccl_settings differ from those CreateCommId started "
                        + "the workers with (" + made.ncclSettings() + ")").asException();
            }
        } else {
            session = start(request.getGpusList(), nccl, request.getForce(), run, startBy(context.getDeadline()));
        }
        try {
            BenchSpec spec = request.getSpec();
            checkRanks(session, request);
            checkMemory(session, spec, request.getNranks());
            Duration budget = Duration.ofSeconds(spec.getTimeout().getSeconds(), spec.getTimeout().getNanos());
            // the whole call ends at the spec's timeout, graces and kills included
            Instant deadline = session.fitInto(Instant.now().plus(budget), budget);
            Context.CancellationListener cancel = cancelled -> session.abort();
            context.addListener(cancel, Runnable::run);
            List<CollectiveResult> results;
            try {
                session.connect(request.getCommId(), request.getNranks(), request.getRankOffset(), deadline);
                results = CollectiveSweep.run(session, spec, request.getNranks(), deadline, nccl, progress);
            } catch (BenchSession.RunFailure e) {
                results = CollectiveSweep.failedBeforeStart(spec, request.getNranks(), nccl, e);
            } finally {
                context.removeListener(cancel);
            }
            List<String> logs = session.ncclLogs();
            CollectiveResults collected = CollectiveResults.newBuilder()
                    .addAllResults(results)
                    .addAllWorkers(workers(session, request.getRankOffset(), logs, session.ncclTopologies()))
                    .setTransport(transport(logs))
                    .setSpec(spec)
                    .build();
            benchResults.accept(collected);
            return collected;
        } finally {
            session.close();
        }
    }

    private static Map<String, String> ncclSettings(List<NcclSetting> settings) {
        try {
            return NcclSettings.validate(settings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("nccl_settings: " + e.getMessage(), e);
        }
    }

    /** START_TIMEOUT from now, or the caller's deadline (null: none) when that comes first. */
    private static Instant startBy(Deadline callerDeadline) {
        Instant limit = Instant.now().plus(BenchSession.START_TIMEOUT);
        if (callerDeadline == null) {
            return limit;
        }
        Instant caller = Instant.now().plusNanos(callerDeadline.timeRemaining(TimeUnit.NANOSECONDS));
        return caller.isBefore(limit) ? caller : limit;
    }

    /** Takes the GPUs' lease on the node, checks they are free, starts the workers by {@code startBy}. */
    private BenchSession start(List<Integer> gpus, Map<String, String> nccl, boolean force, String run,
            Instant startBy) throws StatusException {
        StringBuilder holder = new StringBuilder();
        Optional<BenchLeases.Lease> lease;
        try {
            lease = leases.tryAcquire(run, gpus, holder);
        } catch (IOException e) {
            throw Status.FAILED_PRECONDITION.withDescription("cannot take the node's bench lock in "
                    + settings.benchLockDir() + ": " + e.getMessage()).asException();
        }
        if (lease.isEmpty()) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("another bench is running on this node: " + holder)
                    .asException();
        }
        List<String> busy;
        try {
            busy = busyProbe.processesOn(gpus);
        } catch (IOException e) {
            closeQuietly(lease.get());
            throw Status.FAILED_PRECONDITION.withDescription("cannot tell whether other processes use the GPUs: "
                    + e.getMessage()).asException();
        }
        if (!busy.isEmpty() && !force) {
            closeQuietly(lease.get());
            throw Status.FAILED_PRECONDITION.withDescription("other processes use the GPUs (force to bench anyway): "
                    + String.join("; ", busy)).asException();
        }
        try {
            return BenchSession.start(settings, gpus, nccl, lease.get(), startBy);
        } catch (BenchSession.StartFailure e) {
            throw (e.invalidArgument ? Status.INVALID_ARGUMENT.withDescription("gpus: " + e.getMessage())
                    : Status.FAILED_PRECONDITION.withDescription(e.getMessage())).asException();
        } catch (IOException e) {
            closeQuietly(lease.get());
            throw Status.FAILED_PRECONDITION.withDescription("cannot start the bench workers: " + e.getMessage())
                    .asException();
        }
    }

    private static void closeQuietly(BenchLeases.Lease lease) {
        try {
            lease.close();
        } catch (IOException e) {
            System.err.println("preflight: releasing the bench lock: " + e.getMessage());
        }
    }

    private static void checkRanks(BenchSession session, RunCollectiveRequest request) throws StatusException {
        if (request.getRankOffset() + session.localRanks() > request.getNranks()) {
            throw Status.INVALID_ARGUMENT.withDescription("rank_offset " + request.getRankOffset() + " + "
                    + session.localRanks() + " local GPUs exceeds nranks " + request.getNranks()).asException();
        }
    }

    /** The spec must fit every GPU (see {@link BenchMemory}): a caller that asks too much is told by how much. */
    private static void checkMemory(BenchSession session, BenchSpec spec, int nranks) throws StatusException {
        long need = BenchMemory.buffers(spec, nranks);
        List<WorkerOpened> opened = session.opened();
        for (int i = 0; i < opened.size(); i++) {
            WorkerOpened gpu = opened.get(i);
            if (!BenchMemory.fits(spec, nranks, gpu.getFreeBytes())) {
                throw Status.INVALID_ARGUMENT.withDescription("spec.max_bytes: " + spec.getMaxBytes() + " bytes needs "
                        + ByteSizes.format(need) + " of send and receive buffers plus " + ByteSizes.format(BenchMemory.NCCL_MARGIN_BYTES)
                        + " for NCCL on GPU " + session.gpus().get(i) + ", which has " + ByteSizes.format(gpu.getFreeBytes())
                        + " free").asException();
            }
        }
    }

    private List<BenchWorker> workers(BenchSession session, int rankOffset, List<String> logs,
            List<String> topologies) {
        List<BenchWorker> workers = new ArrayList<>();
        List<WorkerOpened> opened = session.opened();
        for (int i = 0; i < opened.size(); i++) {
            WorkerOpened gpu = opened.get(i);
            workers.add(BenchWorker.newBuilder()
                    .setRank(rankOffset + i)
                    .setGpu(session.gpus().get(i))
                    .setPid(session.pid(i))
                    .setPciBusId(gpu.getPciBusId())
                    .setFreeBytes(gpu.getFreeBytes())
                    .setTotalBytes(gpu.getTotalBytes())
                    .setNcclVersion(gpu.getNcclVersion())
                    .setNcclLibrary(gpu.getNcclLibrary())
                    .setCudartLibrary(gpu.getCudartLibrary())
                    .setNcclLibraryOrigin(settings.ncclLibraryOrigin())
                    .setCudaRuntimeVersion(gpu.getCudaRuntimeVersion())
                    .setCudaDriverVersion(gpu.getCudaDriverVersion())
                    .setNcclLog(logs.get(i))
                    .setNcclTopology(topologies.get(i))
                    .build());
        }
        return workers;
    }

    private TransportProof transport(List<String> logs) {
        List<NcclDebugLog> parsed = new ArrayList<>();
        for (String log : logs) {
            parsed.add(NcclDebugLog.parse(log));
        }
        try {
            return TransportJudge.judge(parsed, rdmaPorts.active());
        } catch (IOException e) {
            TransportProof proof = TransportJudge.judge(parsed, List.of());
            return proof.toBuilder().setSummary(proof.getSummary() + " (the node's InfiniBand/RoCE ports could not "
                    + "be read, so a socket fall-back cannot be judged: " + e.getMessage() + ")").build();
        }
    }

    /** Stops waiting workers (their communicators were never joined) and the expiry timer. */
    @Override
    public void close() {
        expiry.shutdownNow();
        for (ByteString id : List.copyOf(pending.keySet())) {
            Pending waiting = pending.remove(id);
            if (waiting != null) {
                waiting.session().close();
            }
        }
    }
}
