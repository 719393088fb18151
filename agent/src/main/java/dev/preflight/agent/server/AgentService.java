package dev.preflight.agent.server;

import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.bench.BenchService;
import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckRunner;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.node.FingerprintCollector;
import dev.preflight.agent.hostfs.RdmaCounters;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.node.NodeInfoCollector;
import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.CheckProgress;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResults;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.CreateCommIdRequest;
import dev.preflight.proto.v1.CreateCommIdResponse;
import dev.preflight.proto.v1.Fingerprint;
import dev.preflight.proto.v1.GetFingerprintRequest;
import dev.preflight.proto.v1.GetNodeInfoRequest;
import dev.preflight.proto.v1.GetPortCountersRequest;
import dev.preflight.proto.v1.NodeInfo;
import dev.preflight.proto.v1.RunCollectiveEvent;
import dev.preflight.proto.v1.RunCollectiveRequest;
import dev.preflight.proto.v1.PortCounters;
import dev.preflight.proto.v1.RunChecksEvent;
import dev.preflight.proto.v1.RunChecksRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Clock;
import java.util.List;

/** The Agent gRPC service. Failed checks are data in the response; status codes are for protocol problems. */
public final class AgentService extends AgentGrpc.AgentImplBase {
    static final int MAX_CHECK_IDS = 256;
    static final int MAX_CHECK_ID_LENGTH = 128;

    private final NodeInfoCollector nodeInfo;
    private final FingerprintCollector fingerprint;
    private final Checks checks;
    private final CheckRunner runner;
    private final BenchService bench;
    private final HostFs fs;
    private final Clock clock;

    public AgentService(NodeInfoCollector nodeInfo, FingerprintCollector fingerprint, Checks checks, CheckRunner runner,
            BenchService bench, HostFs fs, Clock clock) {
        this.nodeInfo = nodeInfo;
        this.fingerprint = fingerprint;
        this.checks = checks;
        this.runner = runner;
        this.bench = bench;
        this.fs = fs;
        this.clock = clock;
    }

    @Override
    public void getFingerprint(GetFingerprintRequest request, StreamObserver<Fingerprint> responseObserver) {
        responseObserver.onNext(fingerprint.collect());
        responseObserver.onCompleted();
    }

    @Override
    public void getNodeInfo(GetNodeInfoRequest request, StreamObserver<NodeInfo> responseObserver) {
        responseObserver.onNext(nodeInfo.collect());
        responseObserver.onCompleted();
    }

    @Override
    public void runChecks(RunChecksRequest request, StreamObserver<RunChecksEvent> responseObserver) {
        if (request.getCheckIdsCount() > MAX_CHECK_IDS) {
            responseObserver.onError(Status.INVALID_ARGUMENT
                    .withDescription("check_ids: " + request.getCheckIdsCount() + " ids, at most " + MAX_CHECK_IDS)
                    .asRuntimeException());
            return;
        }
        for (String id : request.getCheckIdsList()) {
            if (id.length() > MAX_CHECK_ID_LENGTH) {
                responseObserver.onError(Status.INVALID_ARGUMENT
                        .withDescription("check_ids: an id of " + id.length() + " characters, at most " + MAX_CHECK_ID_LENGTH)
                        .asRuntimeException());
                return;
            }
        }
        List<Check> selected;
        try {
            selected = checks.select(request.getCheckIdsList());
        } catch (IllegalArgumentException e) {
            responseObserver.onError(Status.INVALID_ARGUMENT.withDescription("check_ids: " + e.getMessage()).asRuntimeException());
            return;
        }
        Context context = Context.current();
        if (responseObserver instanceof ServerCallStreamObserver) {
            // With a cancel handler set, onNext on a cancelled call is a no-op instead of an
            // exception; the runner sees the cancellation and stops between checks.
            ((ServerCallStreamObserver<RunChecksEvent>) responseObserver).setOnCancelHandler(() -> { });
        }
        // The model-store read is on demand: only a request that asks for it (a preflight run) pays for it.
        CheckRunner requestRunner = request.getStorageRead()
                ? runner.withSettings(runner.settings().toBuilder().storageRead(true).build()) : runner;
        List<CheckResult> results = requestRunner.run(selected, new CheckRunner.Listener() {
            @Override
            public void started(String checkId, int done, int total) {
                progress(responseObserver, checkId, CheckProgress.Phase.STARTED, done, total);
            }

            @Override
            public void finished(CheckResult result, int done, int total) {
                progress(responseObserver, result.getId(), CheckProgress.Phase.FINISHED, done, total);
            }
        }, context::isCancelled);
        if (context.isCancelled()) {
            return;
        }
        responseObserver.onNext(RunChecksEvent.newBuilder()
                .setResults(CheckResults.newBuilder().addAllChecks(results))
                .build());
        responseObserver.onCompleted();
    }

    @Override
    public void createCommId(CreateCommIdRequest request, StreamObserver<CreateCommIdResponse> responseObserver) {
        try {
            // the caller's deadline bounds starting the workers, so a short bench is not held by a slow start
            responseObserver.onNext(bench.createCommId(request, Context.current().getDeadline()));
            responseObserver.onCompleted();
        } catch (StatusException e) {
            responseObserver.onError(e);
        }
    }

    @Override
    public void runCollective(RunCollectiveRequest request, StreamObserver<RunCollectiveEvent> responseObserver) {
        if (responseObserver instanceof ServerCallStreamObserver) {
            // a cancelled call aborts the workers (BenchService listens on the context); onNext is then a no-op
            ((ServerCallStreamObserver<RunCollectiveEvent>) responseObserver).setOnCancelHandler(() -> { });
        }
        Context context = Context.current();
        try {
            CollectiveResults results = bench.runCollective(request,
                    progress -> responseObserver.onNext(RunCollectiveEvent.newBuilder().setProgress(progress).build()),
                    context);
            if (!context.isCancelled()) {
                responseObserver.onNext(RunCollectiveEvent.newBuilder().setResults(results).build());
                responseObserver.onCompleted();
            }
        } catch (StatusException e) {
            responseObserver.onError(e);
        }
    }

    @Override
    public void getPortCounters(GetPortCountersRequest request, StreamObserver<PortCounters> responseObserver) {
        PortCounters counters;
        try {
            counters = RdmaCounters.take(fs, clock.instant());
        } catch (IOException e) {
            responseObserver.onError(Status.INTERNAL
                    .withDescription("cannot read the port counters: " + IoErrors.describe(e))
                    .asRuntimeException());
            return;
        }
        responseObserver.onNext(counters);
        responseObserver.onCompleted();
    }

    private static void progress(StreamObserver<RunChecksEvent> observer, String checkId,
            CheckProgress.Phase phase, int done, int total) {
        observer.onNext(RunChecksEvent.newBuilder()
                .setProgress(CheckProgress.newBuilder()
                        .setCheckId(checkId)
                        .setPhase(phase)
                        .setDone(done)
                        .setTotal(total))
                .build());
    }
}
