package dev.preflight.coordinator.cli;

import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.security.BearerToken;
import dev.preflight.agent.security.ClientTls;
import io.grpc.ChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** How the coordinator reaches agents that require TLS, client certificates or a token. */
public final class ClientSecurityOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "Talk TLS to the agents and trust this CA (PEM) for their certificates.")
    Path ca;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Client certificate (PEM) for agents that require one.")
    Path cert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The private key of --tls-cert (PEM, PKCS#8).")
    Path key;

    @Option(names = "--tls-server-name", paramLabel = "NAME",
            description = "Check the agents' certificates for this name instead of the address called (one certificate"
                    + " for every agent, e.g. preflight-agent.preflight.svc).")
    String serverName;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Send this bearer token to the agents (only over TLS, or to loopback).")
    Path tokenFile;

    ChannelCredentials credentials() {
        if ((cert == null) != (key == null)) {
            throw usage("--tls-cert and --tls-key go together");
        }
        if (cert != null && ca == null) {
            throw usage("--tls-cert needs TLS: give the agents' CA with --tls-ca");
        }
        if (serverName != null && ca == null) {
            throw usage("--tls-server-name needs TLS: give the agents' CA with --tls-ca");
        }
        try {
            BearerToken token = tokenFile == null ? null : BearerToken.readFile(tokenFile);
            return ClientTls.credentials(ca, cert, key, token);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        } catch (IOException e) {
            throw usage("cannot read " + IoErrors.describe(e));
        }
    }

    Optional<String> serverName() {
        return Optional.ofNullable(serverName);
    }

    boolean anyGiven() {
        return ca != null || cert != null || tokenFile != null;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
