package dev.preflight.coordinator.cli;

import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.net.HostPort;
import dev.preflight.agent.security.AuthInterceptor;
import dev.preflight.agent.security.BearerToken;
import dev.preflight.agent.security.Loopback;
import dev.preflight.agent.security.ServerTls;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** How the agent proves itself and checks its callers: TLS, client certificates, a bearer token. */
public final class AgentSecurityOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "The agent's certificate chain (PEM); its SANs must name how coordinators reach it"
                    + " (node IPs, or one name given to them as --tls-server-name). Re-read when renewed.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The private key of --tls-cert (PEM, PKCS#8).")
    Path key;

    @Option(names = "--tls-client-ca", paramLabel = "FILE",
            description = "Require client certificates signed by this CA (PEM); needs --tls-cert.")
    Path clientCa;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Require this bearer token (a mounted Secret); accepted only over TLS or from loopback.")
    Path tokenFile;

    @Option(names = "--insecure",
            description = "Allow serving a non-loopback address without TLS and client authentication (warns at every start).")
    boolean insecure;

    /** What the agent will do with its callers, checked against the listen address. */
    record Setup(Optional<ServerTls> tls, AuthInterceptor auth, Optional<String> warning) {}

    Setup load(HostPort listen, ScheduledExecutorService reloader) {
        if ((cert == null) != (key == null)) {
            throw usage("--tls-cert and --tls-key go together");
        }
        if (clientCa != null && cert == null) {
            throw usage("--tls-client-ca needs TLS: give --tls-cert and --tls-key too");
        }
        ServerTls tls = null;
        Optional<BearerToken> token = Optional.empty();
        try {
            if (cert != null) {
                tls = ServerTls.load(cert, key, clientCa, reloader);
            }
            if (tokenFile != null) {
                token = Optional.of(BearerToken.readFile(tokenFile));
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        } catch (IOException e) {
            throw usage("cannot read " + IoErrors.describe(e));
        }
        boolean loopback = Loopback.isLoopbackHost(listen.host());
        boolean authenticated = clientCa != null || token.isPresent();
        Optional<String> warning = Optional.empty();
        if (!loopback && (tls == null || !authenticated)) {
            String missing = tls == null ? "TLS (--tls-cert, --tls-key)"
                    : "client authentication (--tls-client-ca or --token-file)";
            if (!insecure) {
                throw usage("refusing to serve " + listen + " without " + missing
                        + ": anyone who reaches this port could run checks and benches as this agent."
                        + " Give them, listen on 127.0.0.1, or accept the risk with --insecure");
            }
            warning = Optional.of("WARNING: --insecure: serving " + listen + " without " + missing
                    + "; anyone who reaches this port can use the agent");
        }
        AuthInterceptor auth = new AuthInterceptor(token,
                tls == null ? Optional.empty() : tls.clientVerifier());
        return new Setup(Optional.ofNullable(tls), auth, warning);
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
