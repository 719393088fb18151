package dev.preflight.agent.server;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Request bytes that are too many or do not parse are the client's fault: INVALID_ARGUMENT naming
 * the size or the method. gRPC itself would answer UNKNOWN ("Application error processing RPC")
 * for a marshaller that throws, so parsing yields a {@link Parsed} value instead, and the call is
 * closed before the handler sees a message. Applied to a whole service, so methods added to it
 * later are covered too.
 */
final class RequestParsing {
    /** Agent requests are small (the largest, a bench request, a few kB); a bound keeps memory flat. */
    static final int MAX_REQUEST_BYTES = 256 * 1024;

    private RequestParsing() {}

    static ServerServiceDefinition strict(ServerServiceDefinition service) {
        ServiceDescriptor original = service.getServiceDescriptor();
        ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
                .setSchemaDescriptor(original.getSchemaDescriptor());
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<?, ?> strict = strict(method);
            methods.add(strict);
            descriptor.addMethod(strict.getMethodDescriptor());
        }
        ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> method : methods) {
            builder.addMethod(method);
        }
        return builder.build();
    }

    /** A request message, or why its bytes were refused. */
    private record Parsed<T>(T value, String refusal) {}

    private static <Q, R> ServerMethodDefinition<Parsed<Q>, R> strict(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> original = method.getMethodDescriptor();
        MethodDescriptor<Parsed<Q>, R> parsing = original.toBuilder(
                new ParsingMarshaller<>(original.getRequestMarshaller(), original.getFullMethodName()),
                original.getResponseMarshaller()).build();
        ServerCallHandler<Q, R> handler = method.getServerCallHandler();
        ServerCallHandler<Parsed<Q>, R> refusing = (call, headers) ->
                new RefusingListener<>(call, handler.startCall(new Unwrapped<>(call, original), headers));
        return ServerMethodDefinition.create(parsing, refusing);
    }

    /** Closes the call on a refused request; the handler then never sees a message. */
    private static final class RefusingListener<Q> extends ServerCall.Listener<Parsed<Q>> {
        private final ServerCall<Parsed<Q>, ?> call;
        private final ServerCall.Listener<Q> delegate;
        private boolean refused;

        RefusingListener(ServerCall<Parsed<Q>, ?> call, ServerCall.Listener<Q> delegate) {
            this.call = call;
            this.delegate = delegate;
        }

        @Override
        public void onMessage(Parsed<Q> message) {
            if (refused) {
                return;
            }
            if (message.refusal() != null) {
                refused = true;
                call.close(Status.INVALID_ARGUMENT.withDescription(message.refusal()), new Metadata());
                return;
            }
            delegate.onMessage(message.value());
        }

        @Override
        public void onHalfClose() {
            if (!refused) {
                delegate.onHalfClose();
            }
        }

        @Override
        public void onReady() {
            if (!refused) {
                delegate.onReady();
            }
        }

        @Override
        public void onCancel() {
            delegate.onCancel();
        }

        @Override
        public void onComplete() {
            delegate.onComplete();
        }
    }

    private static final class ParsingMarshaller<T> implements MethodDescriptor.Marshaller<Parsed<T>> {
        private final MethodDescriptor.Marshaller<T> delegate;
        private final String method;

        ParsingMarshaller(MethodDescriptor.Marshaller<T> delegate, String method) {
            this.delegate = delegate;
            this.method = method;
        }

        @Override
        public InputStream stream(Parsed<T> value) {
            return delegate.stream(value.value());
        }

        @Override
        public Parsed<T> parse(InputStream stream) {
            byte[] bytes;
            try {
                bytes = stream.readNBytes(MAX_REQUEST_BYTES + 1);
            } catch (IOException e) {
                return new Parsed<>(null, "request: unreadable (" + e.getMessage() + ")");
            }
            if (bytes.length > MAX_REQUEST_BYTES) {
                return new Parsed<>(null, "request: more than " + MAX_REQUEST_BYTES + " bytes for " + method);
            }
            try {
                return new Parsed<>(delegate.parse(new ByteArrayInputStream(bytes)), null);
            } catch (StatusRuntimeException e) {
                return new Parsed<>(null, "request: not a valid request message for " + method);
            }
        }
    }

    /** The call as the service's own handler types it: the same call, with the original descriptor. */
    private static final class Unwrapped<Q, R> extends ServerCall<Q, R> {
        private final ServerCall<Parsed<Q>, R> call;
        private final MethodDescriptor<Q, R> descriptor;

        Unwrapped(ServerCall<Parsed<Q>, R> call, MethodDescriptor<Q, R> descriptor) {
            this.call = call;
            this.descriptor = descriptor;
        }

        @Override
        public void request(int numMessages) {
            call.request(numMessages);
        }

        @Override
        public void sendHeaders(Metadata headers) {
            call.sendHeaders(headers);
        }

        @Override
        public void sendMessage(R message) {
            call.sendMessage(message);
        }

        @Override
        public boolean isReady() {
            return call.isReady();
        }

        @Override
        public void close(Status status, Metadata trailers) {
            call.close(status, trailers);
        }

        @Override
        public boolean isCancelled() {
            return call.isCancelled();
        }

        @Override
        public void setMessageCompression(boolean enabled) {
            call.setMessageCompression(enabled);
        }

        @Override
        public void setCompression(String compressor) {
            call.setCompression(compressor);
        }

        @Override
        public SecurityLevel getSecurityLevel() {
            return call.getSecurityLevel();
        }

        @Override
        public Attributes getAttributes() {
            return call.getAttributes();
        }

        @Override
        public String getAuthority() {
            return call.getAuthority();
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return descriptor;
        }
    }
}
