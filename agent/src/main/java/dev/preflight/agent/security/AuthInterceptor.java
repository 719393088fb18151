package dev.preflight.agent.security;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;

/**
 * Admits a call only when it proves who sent it: a client certificate from the client CA (when
 * one is configured) and the bearer token (when one is configured, and only over TLS or from
 * loopback, where it cannot be sniffed). Installed on the server builder, so it covers every
 * service the agent serves, those added later included. A refused call is closed with
 * UNAUTHENTICATED before any handler sees it.
 */
public final class AuthInterceptor implements ServerInterceptor {
    /** Set on a TLS session once its client chain verified, so a connection pays for PKIX once. */
    private static final String VERIFIED = "dev.preflight.client-chain-verified";

    private final BearerToken token;
    private final X509TrustManager clientVerifier;
    private final AtomicLong refused = new AtomicLong();

    public AuthInterceptor(Optional<BearerToken> token, Optional<X509TrustManager> clientVerifier) {
        this.token = token.orElse(null);
        this.clientVerifier = clientVerifier.orElse(null);
    }

    /** Whether any proof is asked for; an agent without one serves everyone who can connect. */
    public boolean enforcing() {
        return token != null || clientVerifier != null;
    }

    /** Calls refused so far (a metric: a rising count is someone knocking). */
    public long refused() {
        return refused.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String refusal = refusal(call, headers);
        if (refusal != null) {
            refused.incrementAndGet();
            call.close(Status.UNAUTHENTICATED.withDescription(refusal), new Metadata());
            return new ServerCall.Listener<>() { };
        }
        return next.startCall(call, headers);
    }

    private String refusal(ServerCall<?, ?> call, Metadata headers) {
        SSLSession tls = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (clientVerifier != null) {
            String certificateProblem = clientCertificateProblem(tls);
            if (certificateProblem != null) {
                return certificateProblem;
            }
        }
        if (token != null) {
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            if (tls == null && !Loopback.isLoopbackPeer(remote)) {
                return "a bearer token is accepted only over TLS or from loopback; this call came in plaintext from "
                        + remote;
            }
            String header = headers.get(BearerToken.AUTHORIZATION);
            if (header == null) {
                return "no bearer token: send authorization: Bearer <token> (preflight run --token-file)";
            }
            if (!token.matchesHeader(header)) {
                return "wrong bearer token";
            }
        }
        return null;
    }

    private String clientCertificateProblem(SSLSession tls) {
        if (tls == null) {
            return "a client certificate is required: connect with TLS (preflight run --tls-ca, --tls-cert, --tls-key)";
        }
        if (Boolean.TRUE.equals(tls.getValue(VERIFIED))) {
            return null;
        }
        Certificate[] presented;
        try {
            presented = tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return "no client certificate was presented (preflight run --tls-cert, --tls-key)";
        }
        X509Certificate[] chain = Arrays.stream(presented)
                .filter(X509Certificate.class::isInstance)
                .map(X509Certificate.class::cast)
                .toArray(X509Certificate[]::new);
        if (chain.length == 0) {
            return "the client presented no X.509 certificate";
        }
        try {
            clientVerifier.checkClientTrusted(chain, chain[0].getPublicKey().getAlgorithm());
        } catch (CertificateException | IllegalArgumentException e) {
            return "client certificate " + chain[0].getSubjectX500Principal().getName()
                    + " is not trusted by the agent's client CA: " + e.getMessage();
        }
        tls.putValue(VERIFIED, Boolean.TRUE);
        return null;
    }
}
