package dev.preflight.coordinator.fanout;

import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.CheckResults;
import dev.preflight.proto.v1.Fingerprint;
import dev.preflight.proto.v1.GetFingerprintRequest;
import dev.preflight.proto.v1.GetNodeInfoRequest;
import dev.preflight.proto.v1.NodeInfo;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.RunChecksEvent;
import dev.preflight.proto.v1.RunChecksRequest;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Asks every agent at once for its node info, then its checks, with a deadline on every call. The
 * calls are asynchronous, so a thousand agents need no thousand threads; a dead or slow agent
 * becomes that node's UNREACHABLE or LOST report, never a hang.
 */
public final class Fanout {
    private final Duration connectTimeout;
    private final Duration checksTimeout;
    private final FanoutListener listener;

    public Fanout(Duration connectTimeout, Duration checksTimeout, FanoutListener listener) {
        this.connectTimeout = connectTimeout;
        this.checksTimeout = checksTimeout;
        this.listener = listener;
    }

    /** One report per target, in the targets' order. */
    public List<NodeReport> run(List<AgentTarget> targets, RunChecksRequest request) {
        List<CompletableFuture<NodeReport>> futures = new ArrayList<>();
        for (AgentTarget target : targets) {
            futures.add(node(target, request).whenComplete((node, error) -> {
                if (node != null) {
                    listener.nodeDone(node);
                }
            }));
        }
        List<NodeReport> nodes = new ArrayList<>();
        for (CompletableFuture<NodeReport> future : futures) {
            nodes.add(future.join());
        }
        return nodes;
    }

    private CompletableFuture<NodeReport> node(AgentTarget target, RunChecksRequest request) {
        NodeReport.Builder node = NodeReport.newBuilder().setAddress(target.address());
        long sentNanos = System.nanoTime();
        Instant sent = Instant.now();
        return nodeInfo(target)
                .thenCompose(info -> {
                    double rttMillis = (System.nanoTime() - sentNanos) / 1e6;
                    Instant midpoint = sent.plusNanos((long) (rttMillis * 1e6 / 2));
                    Instant agentTime = Instant.ofEpochSecond(info.getAgentTime().getSeconds(), info.getAgentTime().getNanos());
                    node.setInfo(info)
                            .setNodeName(info.getNodeName())
                            .setHostname(info.getHostname())
                            .setReachability(NodeReport.Reachability.REACHABLE)
                            .setClockRttMillis(rttMillis)
                            .setClockOffsetMillis(Duration.between(midpoint, agentTime).toNanos() / 1e6);
                    return fingerprint(target);
                })
                .thenCompose(fingerprint -> {
                    node.setFingerprint(fingerprint);
                    return checks(target, request);
                })
                .handle((checks, error) -> {
                    if (error == null) {
                        return node.addAllChecks(checks.getChecksList()).build();
                    }
                    boolean answered = node.getReachability() == NodeReport.Reachability.REACHABLE;
                    return node.setReachability(answered ? NodeReport.Reachability.LOST : NodeReport.Reachability.UNREACHABLE)
                            .setError((answered ? "running checks: " : "") + Calls.describe(error))
                            .build();
                });
    }

    private CompletableFuture<NodeInfo> nodeInfo(AgentTarget target) {
        CompletableFuture<NodeInfo> result = new CompletableFuture<>();
        AgentGrpc.newStub(target.channel())
                .withDeadlineAfter(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .getNodeInfo(GetNodeInfoRequest.getDefaultInstance(), Calls.unary(result));
        return result;
    }

    private CompletableFuture<Fingerprint> fingerprint(AgentTarget target) {
        CompletableFuture<Fingerprint> result = new CompletableFuture<>();
        AgentGrpc.newStub(target.channel())
                .withDeadlineAfter(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .getFingerprint(GetFingerprintRequest.getDefaultInstance(), Calls.unary(result));
        return result;
    }

    private CompletableFuture<CheckResults> checks(AgentTarget target, RunChecksRequest request) {
        CompletableFuture<CheckResults> result = new CompletableFuture<>();
        AgentGrpc.newStub(target.channel())
                .withDeadlineAfter(checksTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .runChecks(request, new StreamObserver<>() {
                    private CheckResults results;

                    @Override
                    public void onNext(RunChecksEvent event) {
                        if (event.hasProgress()) {
                            listener.progress(target.address(), event.getProgress());
                        } else if (event.hasResults()) {
                            results = event.getResults();
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        if (results == null) {
                            result.completeExceptionally(new IllegalStateException("agent ended the stream without results"));
                        } else {
                            result.complete(results);
                        }
                    }
                });
        return result;
    }
}
