package dev.preflight.agent.server;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds the calls in flight: past the bound a call is refused at once with RESOURCE_EXHAUSTED, so
 * the agent's bounded executor never queues without limit and a flood cannot starve the node.
 */
final class ConcurrencyLimit implements ServerInterceptor {
    private final Semaphore permits;
    private final int limit;

    ConcurrencyLimit(int limit) {
        this.limit = limit;
        this.permits = new Semaphore(limit);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        if (!permits.tryAcquire()) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription(
                    "agent busy: " + limit + " calls in flight"), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                permits.release();
            }
        };
        ServerCall.Listener<Q> delegate;
        try {
            delegate = next.startCall(call, headers);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            @Override
            public void onComplete() {
                try {
                    super.onComplete();
                } finally {
                    release.run();
                }
            }

            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    release.run();
                }
            }
        };
    }
}
