package dev.preflight.coordinator.fanout;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/** Helpers for the coordinator's asynchronous calls to agents. */
public final class Calls {
    private Calls() {}

    /** An observer that completes a future with a unary call's single response. */
    public static <T> StreamObserver<T> unary(CompletableFuture<T> result) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                result.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                if (!result.isDone()) {
                    result.completeExceptionally(new IllegalStateException("agent sent no response"));
                }
            }
        };
    }

    /**
     * A failed call as a person reads it: "UNAVAILABLE: io exception (Connection refused)",
     * "DEADLINE_EXCEEDED: deadline exceeded after 9.9s"; unwraps CompletionException and friends.
     */
    public static String describe(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && !(cause instanceof StatusRuntimeException)) {
            cause = cause.getCause();
        }
        if (cause instanceof StatusRuntimeException) {
            Status status = ((StatusRuntimeException) cause).getStatus();
            StringBuilder text = new StringBuilder(status.getCode().name());
            if (status.getDescription() != null) {
                text.append(": ").append(status.getDescription());
            }
            Throwable root = status.getCause();
            while (root != null && root.getCause() != null) {
                root = root.getCause();
            }
            if (root != null && root.getMessage() != null
                    && (status.getDescription() == null || !status.getDescription().contains(root.getMessage()))) {
                text.append(" (").append(root.getMessage()).append(')');
            }
            return text.toString();
        }
        return cause.getMessage() == null ? cause.toString() : cause.getMessage();
    }
}
