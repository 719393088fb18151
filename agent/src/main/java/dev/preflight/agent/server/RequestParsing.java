package dev.preflight.agent.server;

import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Request bytes that are too many or do not parse are the client's fault: INVALID_ARGUMENT naming
 * the size or the message type, where gRPC itself would answer INTERNAL. Applied to a whole
 * service, so methods added to it later are covered too.
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

    private static <Q, R> ServerMethodDefinition<Q, R> strict(ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
        MethodDescriptor<Q, R> bounded = descriptor.toBuilder(
                new Bounded<>(descriptor.getRequestMarshaller(), descriptor.getFullMethodName()),
                descriptor.getResponseMarshaller()).build();
        return ServerMethodDefinition.create(bounded, method.getServerCallHandler());
    }

    private static final class Bounded<T> implements MethodDescriptor.Marshaller<T> {
        private final MethodDescriptor.Marshaller<T> delegate;
        private final String method;

        Bounded(MethodDescriptor.Marshaller<T> delegate, String method) {
            this.delegate = delegate;
            this.method = method;
        }

        @Override
        public InputStream stream(T value) {
            return delegate.stream(value);
        }

        @Override
        public T parse(InputStream stream) {
            byte[] bytes;
            try {
                bytes = stream.readNBytes(MAX_REQUEST_BYTES + 1);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (bytes.length > MAX_REQUEST_BYTES) {
                throw Status.INVALID_ARGUMENT
                        .withDescription("request: more than " + MAX_REQUEST_BYTES + " bytes for " + method)
                        .asRuntimeException();
            }
            try {
                return delegate.parse(new ByteArrayInputStream(bytes));
            } catch (StatusRuntimeException e) {
                throw Status.INVALID_ARGUMENT
                        .withDescription("request: not a valid request message for " + method)
                        .asRuntimeException();
            }
        }
    }
}
