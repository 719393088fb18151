package dev.preflight.agent.security;

import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;

/** How a client (the coordinator) proves itself to agents and checks that it reached a real one. */
public final class ClientTls {
    private ClientTls() {}

    /**
     * @param ca the CA that signed the agents' certificates; null for plaintext
     * @param cert the client certificate for mTLS, with {@code key}; null for none
     * @param token sent on every call (over TLS, or to loopback only); null for none
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static ChannelCredentials credentials(Path ca, Path cert, Path key, BearerToken token) throws IOException {
        ChannelCredentials transport;
        if (ca == null) {
            if (cert != null) {
                throw new IllegalArgumentException("a client certificate needs TLS: give the agents' CA too");
            }
            transport = InsecureChannelCredentials.create();
        } else {
            TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder().trustManager(PemFiles.trustManager(ca));
            if (cert != null) {
                tls.keyManager(PemFiles.keyManager(cert, key));
            }
            transport = tls.build();
        }
        return token == null ? transport : CompositeChannelCredentials.create(transport, token.callCredentials());
    }
}
