package dev.preflight.agent.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The refusals that need a peer this machine cannot be in a test: a plaintext call from a network
 * address (every real socket in a test is loopback).
 */
class AuthInterceptorTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    /** The call as the transport hands it over: just the attributes the interceptor reads. */
    private static final class RecordingCall extends ServerCall<Object, Object> {
        private final Attributes attributes;
        Status closed;

        RecordingCall(InetSocketAddress remote) {
            this.attributes = Attributes.newBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, remote).build();
        }

        @Override
        public void request(int numMessages) {}

        @Override
        public void sendHeaders(Metadata headers) {}

        @Override
        public void sendMessage(Object message) {}

        @Override
        public void close(Status status, Metadata trailers) {
            closed = status;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public Attributes getAttributes() {
            return attributes;
        }

        @Override
        public MethodDescriptor<Object, Object> getMethodDescriptor() {
            throw new UnsupportedOperationException();
        }
    }

    private static Metadata bearer(String token) {
        Metadata headers = new Metadata();
        headers.put(BearerToken.AUTHORIZATION, "Bearer " + token);
        return headers;
    }

    private static Status intercept(InetSocketAddress remote, Metadata headers, AtomicBoolean ran) {
        AuthInterceptor auth = new AuthInterceptor(Optional.of(BearerToken.of(TOKEN, "test")), Optional.empty());
        RecordingCall call = new RecordingCall(remote);
        auth.interceptCall(call, headers, (c, h) -> {
            ran.set(true);
            return new ServerCall.Listener<>() { };
        });
        return call.closed;
    }

    @Test
    void theRightTokenInPlaintextFromTheNetworkIsStillRefused() {
        AtomicBoolean ran = new AtomicBoolean();
        Status status = intercept(new InetSocketAddress("198.18.0.7", 40000), bearer(TOKEN), ran);
        assertEquals(Status.Code.UNAUTHENTICATED, status.getCode());
        assertTrue(status.getDescription().contains("only over TLS or from loopback"), status.getDescription());
        assertFalse(ran.get());
    }

    @Test
    void theRightTokenInPlaintextFromLoopbackRuns() {
        AtomicBoolean ran = new AtomicBoolean();
        assertNull(intercept(new InetSocketAddress("127.0.0.1", 40000), bearer(TOKEN), ran));
        assertTrue(ran.get());
    }

    @Test
    void aTokenDifferingInLengthOrLastCharacterIsWrong() {
        AtomicBoolean ran = new AtomicBoolean();
        InetSocketAddress loopback = new InetSocketAddress("::1", 40000);
        assertEquals(Status.Code.UNAUTHENTICATED, intercept(loopback, bearer(TOKEN + "0"), ran).getCode());
        assertEquals(Status.Code.UNAUTHENTICATED,
                intercept(loopback, bearer(TOKEN.substring(0, TOKEN.length() - 1) + "0"), ran).getCode());
        Metadata basic = new Metadata();
        basic.put(BearerToken.AUTHORIZATION, "Basic " + TOKEN);
        assertEquals(Status.Code.UNAUTHENTICATED, intercept(loopback, basic, ran).getCode());
        assertFalse(ran.get());
    }
}
