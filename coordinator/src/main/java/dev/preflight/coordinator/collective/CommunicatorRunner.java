package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.fanout.Calls;
import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.CreateCommIdRequest;
import dev.preflight.proto.v1.CreateCommIdResponse;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.NcclSetting;
import dev.preflight.proto.v1.RankIterations;
import dev.preflight.proto.v1.RunCollectiveEvent;
import dev.preflight.proto.v1.RunCollectiveRequest;
import dev.preflight.proto.v1.SizeProgress;
import dev.preflight.proto.v1.SizeRow;
import dev.preflight.proto.v1.TransportProof;
import dev.preflight.proto.v1.WrongRank;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs one communicator across its agents, as NCCL bootstraps itself, with no MPI or SSH: a fresh
 * unique id from the first member's agent (its first GPU hosts the bootstrap root), then
 * RunCollective on every member at once with its rank offset. Nothing waits without a deadline:
 * when one member's call fails (its agent died, refused, or lost its workers) the others are
 * cancelled, which aborts their NCCL calls instead of leaving them to their own deadline; a member
 * still silent well after the others finished is cancelled too. Members whose calls broke are
 * asked whether they are alive, and those that do not answer are reported lost.
 */
public final class CommunicatorRunner implements AutoCloseable {
    /** Starting a node's worker JVMs (the agent allows them 60 s) and making the id. */
    static final Duration CREATE_DEADLINE = Duration.ofSeconds(90);
    /**
     * Beyond the spec's own deadline: worker start-up on members that had none waiting (up to 60 s)
     * and teardown (up to 10 s). The agent's abort and kill graces are inside the spec's deadline.
     */
    static final Duration RUN_SLACK = Duration.ofSeconds(90);
    /** How long a member may stay silent after another member's call ended. */
    static final Duration LAGGARD_GRACE = Duration.ofSeconds(30);
    /**
     * How long to keep asking a node whose bench lock is still held: the previous communicator's
     * workers may still be shutting down after a cancellation (the agent's grace is 2 x 5 s).
     */
    static final Duration LOCK_WAIT = Duration.ofSeconds(30);
    static final Duration LOCK_RETRY = Duration.ofMillis(500);

    /** What the run hears while a communicator runs. */
    public interface Listener {
        /** A size finished on the communicator (reported by its first member). */
        void size(Communicator comm, SizeProgress progress);
    }

    /**
     * Names this run's benches to the agents, which let them share a node on disjoint GPUs (every
     * rail at once) while keeping other runs off it.
     */
    private final String benchRun = UUID.randomUUID().toString();
    private final List<NcclSetting> ncclSettings;
    private final Duration connectTimeout;
    /** The deadlines of laggard members and the retries of a held bench lock. */
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            BenchContext.daemon("preflight-bench-timer"));
    private final Listener listener;

    public CommunicatorRunner(List<NcclSetting> ncclSettings, Duration connectTimeout, Listener listener) {
        this.ncclSettings = List.copyOf(ncclSettings);
        this.connectTimeout = connectTimeout;
        this.listener = listener;
    }

    /** Drops the timers still pending: no communicator runs after the bench phases end. */
    @Override
    public void close() {
        timers.shutdownNow();
    }

    /** Makes a fresh unique id on the first member's agent, then runs the communicator on every member. */
    public CommRun run(Communicator comm) {
        long started = System.nanoTime();
        Member root = comm.members().get(0);
        CreateCommIdResponse id;
        try {
            id = createId(root.node().target().channel(), root.gpus(), settingsFor(comm));
        } catch (StatusRuntimeException e) {
            return notStarted(comm, e, started);
        }
        return join(comm, id, started);
    }

    /**
     * The workload's NCCL settings, with NCCL_ALGO=RING for a rail or all-node communicator of two
     * nodes unless the workload chose an algorithm: on two nodes NCCL's tree reports a bus bandwidth
     * above what the network carries, so only the ring measures the links.
     */
    List<NcclSetting> settingsFor(Communicator comm) {
        return algorithm(comm, ncclSettings).isEmpty() || ncclSettings.stream().anyMatch(s -> s.getName().equals(NCCL_ALGO))
                ? ncclSettings : withRing(ncclSettings);
    }

    static final String NCCL_ALGO = "NCCL_ALGO";

    /** The NCCL_ALGO a communicator runs with: the workload's, RING where it forces one, else empty (NCCL's choice). */
    static String algorithm(Communicator comm, List<NcclSetting> workload) {
        for (NcclSetting setting : workload) {
            if (setting.getName().equals(NCCL_ALGO)) {
                return setting.getValue();
            }
        }
        boolean twoNodes = comm.members().size() == 2
                && (comm.kind() == Sweep.Kind.RAIL || comm.kind() == Sweep.Kind.ALL_NODES);
        return twoNodes ? "RING" : "";
    }

    private static List<NcclSetting> withRing(List<NcclSetting> settings) {
        List<NcclSetting> with = new ArrayList<>(settings);
        with.add(NcclSetting.newBuilder().setName(NCCL_ALGO).setValue("RING").build());
        return with;
    }

    /**
     * The agent's bench workers for these GPUs (every GPU when empty), waiting with a fresh unique
     * id. Asks again while the node's bench lock is held, for at most {@link #LOCK_WAIT}.
     */
    public CreateCommIdResponse createId(Channel channel, List<Integer> gpus) {
        return createId(channel, gpus, ncclSettings);
    }

    private CreateCommIdResponse createId(Channel channel, List<Integer> gpus, List<NcclSetting> settings) {
        CreateCommIdRequest request = CreateCommIdRequest.newBuilder()
                .setBenchRun(benchRun)
                .addAllGpus(gpus)
                .addAllNcclSettings(settings)
                .build();
        long giveUp = System.nanoTime() + LOCK_WAIT.toNanos();
        while (true) {
            try {
                return AgentGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(CREATE_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                        .createCommId(request);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED || System.nanoTime() > giveUp) {
                    throw e;
                }
            }
            sleep(LOCK_RETRY);
        }
    }

    /** The outcome of a communicator whose id could not be made: its root is lost when it no longer answers. */
    public CommRun notStarted(Communicator comm, StatusRuntimeException e, long startedNanos) {
        BenchNode root = comm.members().get(0).node();
        Map<String, String> lost = new LinkedHashMap<>();
        if (!answered(e.getStatus()) && !alive(root)) {
            lost.put(root.name(), "lost while starting " + comm.label() + ": " + Calls.describe(e));
        }
        return CommRun.failed(comm, "could not start on " + root.name() + ": " + Calls.describe(e), lost,
                elapsed(startedNanos));
    }

    /** RunCollective on every member with the id the first member's agent made. */
    public CommRun join(Communicator comm, CreateCommIdResponse id, long startedNanos) {
        RankLayout layout = comm.layout();
        List<MemberCall> calls = new ArrayList<>();
        for (int i = 0; i < comm.members().size(); i++) {
            Member member = comm.members().get(i);
            RunCollectiveRequest request = RunCollectiveRequest.newBuilder()
                    .setBenchRun(benchRun)
                    .setCommId(id.getCommId())
                    .setNranks(layout.nranks())
                    .setRankOffset(layout.offset(i))
                    .addAllGpus(member.gpus())
                    .addAllNcclSettings(settingsFor(comm))
                    .setSpec(comm.spec())
                    .build();
            calls.add(new MemberCall(comm, member, request, i == 0));
        }
        for (MemberCall call : calls) {
            call.done.whenComplete((ignored, error) -> onMemberDone(call, calls));
            call.start();
        }
        CompletableFuture.allOf(calls.stream().map(c -> c.done).toArray(CompletableFuture[]::new)).join();
        return merge(comm, calls, elapsed(startedNanos));
    }

    /** The first member to finish sets the laggards' clock; the first to fail cancels the rest. */
    private void onMemberDone(MemberCall call, List<MemberCall> calls) {
        if (call.failure != null) {
            for (MemberCall other : calls) {
                other.cancel("cancelled: " + call.member.node().name() + "'s call failed", true);
            }
        } else {
            timers.schedule(() -> {
                for (MemberCall other : calls) {
                    other.cancel("no answer " + LAGGARD_GRACE.toSeconds() + " s after the other members finished", false);
                }
            }, LAGGARD_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private CommRun merge(Communicator comm, List<MemberCall> calls, Duration wall) {
        Map<String, String> lost = new LinkedHashMap<>();
        Map<String, TransportProof> transports = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Map<MemberCall, CompletableFuture<Boolean>> probes = new LinkedHashMap<>();
        for (MemberCall call : calls) {
            if (call.results != null) {
                transports.put(call.member.node().name(), call.results.getTransport());
            } else if (!call.collateral) {
                String why = call.cancelReason != null ? call.cancelReason
                        : Calls.describe(call.failure.asRuntimeException());
                problems.add(call.member.node().name() + ": " + why);
                // a refusal is an answer; a broken call or a silent member may be a dead or stalled agent
                if (call.cancelReason != null || !answered(call.failure)) {
                    probes.put(call, aliveAsync(call.member.node()));
                }
            }
        }
        probes.forEach((call, alive) -> {
            if (!alive.join()) {
                lost.put(call.member.node().name(), "lost during " + comm.label() + ": " + (call.cancelReason != null
                        ? call.cancelReason : Calls.describe(call.failure.asRuntimeException())));
            }
        });
        CollectiveResults.Builder merged = CollectiveResults.newBuilder();
        MemberCall reporting = null;
        for (MemberCall call : calls) {
            if (call.results != null) {
                reporting = reporting == null ? call : reporting;
                for (BenchWorker worker : call.results.getWorkersList()) {
                    merged.addWorkers(worker.toBuilder().setNode(call.member.node().name()));
                }
            }
        }
        if (reporting == null) {
            return CommRun.failed(comm, problems.isEmpty() ? "no member returned results" : String.join("; ", problems),
                    lost, wall);
        }
        merged.setTransport(reporting.results.getTransport()).setSpec(reporting.results.getSpec());
        for (int op = 0; op < reporting.results.getResultsCount(); op++) {
            merged.addResults(worst(calls, op));
        }
        return new CommRun(comm, merged.build(), transports, lost, wall);
    }

    /**
     * The members' views of one op combined: the rows are the same on every rank (averaged across
     * ranks), the outcome is the most telling one any member saw (a hang over the aborts it caused).
     */
    private static CollectiveResult worst(List<MemberCall> calls, int op) {
        CollectiveResult chosen = null;
        Set<Integer> failedRanks = new LinkedHashSet<>();
        List<WrongRank> wrongRanks = new ArrayList<>();
        for (MemberCall call : calls) {
            if (call.results == null || call.results.getResultsCount() <= op) {
                continue;
            }
            CollectiveResult result = call.results.getResults(op);
            failedRanks.addAll(result.getFailedRanksList());
            // each member validated only its own ranks' output
            for (WrongRank wrong : result.getWrongRanksList()) {
                wrongRanks.add(wrong.toBuilder().setNode(call.member.node().name()).build());
            }
            if (chosen == null || severity(result.getOutcome()) > severity(chosen.getOutcome())
                    || (severity(result.getOutcome()) == severity(chosen.getOutcome())
                            && result.getFailedRanksCount() > chosen.getFailedRanksCount())) {
                chosen = result;
            }
        }
        // an op completes on every rank or on none, so the rows of any member stand for all
        wrongRanks.sort(Comparator.comparingInt(WrongRank::getRank));
        CollectiveResult.Builder combined = chosen.toBuilder().clearFailedRanks()
                .addAllFailedRanks(failedRanks.stream().sorted().toList())
                .clearWrongRanks().addAllWrongRanks(wrongRanks);
        mergeIterations(combined, calls, op);
        return combined.build();
    }

    /**
     * Each member timed only its own ranks' iterations: the combined rows carry every member's,
     * with the node each rank ran on, in rank order.
     */
    private static void mergeIterations(CollectiveResult.Builder combined, List<MemberCall> calls, int op) {
        for (int r = 0; r < combined.getRowsCount(); r++) {
            SizeRow.Builder row = combined.getRowsBuilder(r);
            List<RankIterations> outOfPlace = new ArrayList<>();
            List<RankIterations> inPlace = new ArrayList<>();
            for (MemberCall call : calls) {
                if (call.results == null || call.results.getResultsCount() <= op
                        || call.results.getResults(op).getRowsCount() <= r) {
                    continue;
                }
                SizeRow theirs = call.results.getResults(op).getRows(r);
                String node = call.member.node().name();
                for (RankIterations it : theirs.getOutOfPlace().getRankIterationsList()) {
                    outOfPlace.add(it.toBuilder().setNode(node).build());
                }
                for (RankIterations it : theirs.getInPlace().getRankIterationsList()) {
                    inPlace.add(it.toBuilder().setNode(node).build());
                }
            }
            outOfPlace.sort(Comparator.comparingInt(RankIterations::getRank));
            inPlace.sort(Comparator.comparingInt(RankIterations::getRank));
            row.getOutOfPlaceBuilder().clearRankIterations().addAllRankIterations(outOfPlace);
            row.getInPlaceBuilder().clearRankIterations().addAllRankIterations(inPlace);
        }
    }

    static int severity(CollectiveResult.Outcome outcome) {
        switch (outcome) {
            case OK:
                return 0;
            case NOT_RUN:
                return 1;
            case WRONG_RESULTS:
                return 2;
            case ERROR:
                return 3;
            case TIMEOUT:
                return 4;
            default:
                return 0;
        }
    }

    /** A status the agent itself chose: it is alive and said no. */
    static boolean answered(Status status) {
        switch (status.getCode()) {
            case INVALID_ARGUMENT:
            case FAILED_PRECONDITION:
            case RESOURCE_EXHAUSTED:
            case PERMISSION_DENIED:
            case UNAUTHENTICATED:
                return true;
            default:
                return false;
        }
    }

    /** Whether the node's agent still answers its health service, within the connect timeout. */
    boolean alive(BenchNode node) {
        return aliveAsync(node).join();
    }

    private CompletableFuture<Boolean> aliveAsync(BenchNode node) {
        CompletableFuture<HealthCheckResponse> response = new CompletableFuture<>();
        HealthGrpc.newStub(node.target().channel())
                .withDeadlineAfter(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .check(HealthCheckRequest.getDefaultInstance(), Calls.unary(response));
        return response.handle((answer, error) -> error == null
                && answer.getStatus() == HealthCheckResponse.ServingStatus.SERVING);
    }

    static Duration elapsed(long startedNanos) {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }

    /** One member's RunCollective: retried while its node's bench lock is still held, cancellable. */
    private final class MemberCall {
        final Communicator comm;
        final Member member;
        final RunCollectiveRequest request;
        final boolean reportsProgress;
        final long giveUpNanos = System.nanoTime() + LOCK_WAIT.toNanos();
        final CompletableFuture<Void> done = new CompletableFuture<>();
        volatile CollectiveResults results;
        volatile Status failure;
        volatile String cancelReason;
        volatile boolean collateral;
        private ClientCallStreamObserver<RunCollectiveRequest> call;

        MemberCall(Communicator comm, Member member, RunCollectiveRequest request, boolean reportsProgress) {
            this.comm = comm;
            this.member = member;
            this.request = request;
            this.reportsProgress = reportsProgress;
        }

        void start() {
            if (cancelReason != null) {
                failure = Status.CANCELLED.withDescription(cancelReason);
                done.complete(null);
                return;
            }
            long deadline = Duration.ofSeconds(request.getSpec().getTimeout().getSeconds()).plus(RUN_SLACK).toMillis();
            AgentGrpc.newStub(member.node().target().channel())
                    .withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
                    .runCollective(request, new ClientResponseObserver<RunCollectiveRequest, RunCollectiveEvent>() {
                        @Override
                        public void beforeStart(ClientCallStreamObserver<RunCollectiveRequest> stream) {
                            synchronized (MemberCall.this) {
                                call = stream;
                                if (cancelReason != null) {
                                    stream.cancel(cancelReason, null);
                                }
                            }
                        }

                        @Override
                        public void onNext(RunCollectiveEvent event) {
                            if (event.hasResults()) {
                                results = event.getResults();
                            } else if (reportsProgress && event.hasProgress()) {
                                listener.size(comm, event.getProgress());
                            }
                        }

                        @Override
                        public void onError(Throwable t) {
                            Status status = Status.fromThrowable(t);
                            if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED && cancelReason == null
                                    && System.nanoTime() < giveUpNanos) {
                                timers.schedule(MemberCall.this::start, LOCK_RETRY.toMillis(), TimeUnit.MILLISECONDS);
                                return;
                            }
                            failure = status;
                            done.complete(null);
                        }

                        @Override
                        public void onCompleted() {
                            if (results == null) {
                                failure = Status.INTERNAL.withDescription("the agent ended the bench without results");
                            }
                            done.complete(null);
                        }
                    });
        }

        void cancel(String reason, boolean becauseOfAnother) {
            ClientCallStreamObserver<RunCollectiveRequest> stream;
            synchronized (this) {
                if (done.isDone() || cancelReason != null) {
                    return;
                }
                cancelReason = reason;
                collateral = becauseOfAnother;
                stream = call;
            }
            // outside the lock: a cancelled call may complete (and cancel others) on this thread
            if (stream != null) {
                stream.cancel(reason, null);
            }
        }
    }
}
