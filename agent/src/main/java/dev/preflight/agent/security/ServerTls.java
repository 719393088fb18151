package dev.preflight.agent.security;

import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The agent's TLS: its certificate and key (re-read when renewed), and, with a client CA, client
 * certificates. The handshake asks for a client certificate but leaves judging it to
 * {@link AuthInterceptor}, which verifies the chain against the CA before any call runs: a client
 * with a wrong certificate then gets UNAUTHENTICATED naming the reason instead of an opaque
 * handshake failure, and still nothing runs. TLS itself proves the client holds the key of the
 * certificate it presents.
 */
public final class ServerTls {
    private final ServerCredentials credentials;
    private final X509TrustManager clientVerifier;

    private ServerTls(ServerCredentials credentials, X509TrustManager clientVerifier) {
        this.credentials = credentials;
        this.clientVerifier = clientVerifier;
    }

    /**
     * @param clientCa the CA whose certificates clients must present; null accepts any client
     *     (then a bearer token should guard the agent)
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static ServerTls load(Path certFile, Path keyFile, Path clientCa, ScheduledExecutorService reloader)
            throws IOException {
        TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder()
                .keyManager(PemFiles.reloadingKeyManager(certFile, keyFile, reloader));
        X509TrustManager verifier = null;
        if (clientCa != null) {
            verifier = PemFiles.trustManager(clientCa);
            builder.trustManager(new DeferredClientVerification(verifier.getAcceptedIssuers()))
                    .clientAuth(TlsServerCredentials.ClientAuth.OPTIONAL);
        }
        return new ServerTls(builder.build(), verifier);
    }

    public ServerCredentials credentials() {
        return credentials;
    }

    /** The verifier client chains must pass, when client certificates are required. */
    public Optional<X509TrustManager> clientVerifier() {
        return Optional.ofNullable(clientVerifier);
    }

    /**
     * Lets any client chain through the handshake while advertising the CA's names, so clients pick
     * the right certificate; the chain is verified per call by {@link AuthInterceptor}.
     */
    private static final class DeferredClientVerification extends X509ExtendedTrustManager {
        private final X509Certificate[] issuers;

        DeferredClientVerification(X509Certificate[] issuers) {
            this.issuers = issuers.clone();
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("the agent trusts no servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("the agent trusts no servers");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("the agent trusts no servers");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return issuers.clone();
        }
    }
}
