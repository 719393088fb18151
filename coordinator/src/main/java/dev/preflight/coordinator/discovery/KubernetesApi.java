package dev.preflight.coordinator.discovery;

import dev.preflight.agent.hostfs.BoundedFile;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;

/**
 * The Kubernetes API through the fabric8 client over the JDK's HTTP client. In a pod it is the
 * API server of KUBERNETES_SERVICE_HOST/PORT with the service account's CA, namespace and token
 * (read again for every request: projected tokens rotate within the hour a long run may take).
 * Outside a pod (a pipeline runner, an operator's shell) it is what kubectl uses: the first file
 * of $KUBECONFIG, else ~/.kube/config.
 */
public final class KubernetesApi {
    public static final Path SERVICE_ACCOUNT = Paths.get("/var/run/secrets/kubernetes.io/serviceaccount");
    static final int REQUEST_TIMEOUT_MILLIS = 30_000;
    static final int CONNECT_TIMEOUT_MILLIS = 10_000;
    /** Retries of a request that got no answer or a 5xx, with fabric8's growing back-off. */
    static final int RETRIES = 3;

    private KubernetesApi() {}

    /**
     * A client for the cluster this coordinator runs in, or the kubeconfig's.
     *
     * @param flag the option that needs it, named in the error when neither is there
     * @throws IOException naming what is missing
     */
    public static KubernetesClient connect(Map<String, String> env, Path serviceAccount, String flag) throws IOException {
        // the JDK transport, named rather than left to whichever factory the class path offers first
        return new KubernetesClientBuilder().withHttpClientFactory(new JdkHttpClientFactory())
                .withConfig(config(env, serviceAccount, flag)).build();
    }

    static Config config(Map<String, String> env, Path serviceAccount, String flag) throws IOException {
        String host = env.get("KUBERNETES_SERVICE_HOST");
        Config config;
        if (host == null || host.isBlank()) {
            config = fromKubeconfig(env, flag);
        } else {
            config = inCluster(host, env.getOrDefault("KUBERNETES_SERVICE_PORT", "443"), serviceAccount);
        }
        config.setRequestTimeout(REQUEST_TIMEOUT_MILLIS);
        config.setConnectionTimeout(CONNECT_TIMEOUT_MILLIS);
        config.setRequestRetryBackoffLimit(RETRIES);
        return config;
    }

    private static Config inCluster(String host, String port, Path serviceAccount) throws IOException {
        if (!port.matches("\\d{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
            throw new IOException("KUBERNETES_SERVICE_PORT '" + port + "': expected a port, 1-65535");
        }
        if (!host.matches("[A-Za-z0-9.:-]+")) {
            throw new IOException("KUBERNETES_SERVICE_HOST '" + host + "': expected a host name or an address");
        }
        Path tokenFile = serviceAccount.resolve("token");
        Path caFile = serviceAccount.resolve("ca.crt");
        if (!Files.isReadable(tokenFile) || !Files.isReadable(caFile)) {
            throw new IOException("no service-account credentials under " + serviceAccount
                    + " (is automountServiceAccountToken off?)");
        }
        Path namespaceFile = serviceAccount.resolve("namespace");
        String namespace = Files.isReadable(namespaceFile)
                ? BoundedFile.readText(namespaceFile, BoundedFile.USER).strip() : null;
        String authority = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return new ConfigBuilder(Config.empty())
                .withMasterUrl("https://" + authority + ":" + port)
                .withCaCertFile(caFile.toString())
                .withNamespace(namespace == null || namespace.isEmpty() ? null : namespace)
                .withOauthTokenProvider(() -> {
                    try {
                        return BoundedFile.readText(tokenFile, BoundedFile.USER).strip();
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read the service-account token " + tokenFile, e);
                    }
                })
                .build();
    }

    private static Config fromKubeconfig(Map<String, String> env, String flag) throws IOException {
        String listed = env.get("KUBECONFIG");
        Path file;
        if (listed != null && !listed.isBlank()) {
            // kubectl merges every file of the list; the first one names the context to use
            file = Paths.get(listed.split(java.io.File.pathSeparator)[0]);
            if (!Files.isReadable(file)) {
                throw new IOException("KUBECONFIG names " + file + ", which cannot be read");
            }
        } else {
            String home = env.getOrDefault("HOME", "");
            file = home.isEmpty() ? null : Paths.get(home, ".kube", "config");
            if (file == null || !Files.isReadable(file)) {
                throw new IOException("KUBERNETES_SERVICE_HOST is not set and there is no kubeconfig (KUBECONFIG,"
                        + " ~/.kube/config): " + flag + " works from a pod inside the cluster, or with kubectl's credentials");
            }
        }
        try {
            return Config.fromKubeconfig(null, file.toFile());
        } catch (KubernetesClientException | IllegalArgumentException e) {
            throw new IOException("kubeconfig " + file + ": " + e.getMessage());
        }
    }

    /** The namespace of the client's credentials (the pod's own, or the kubeconfig context's); empty if none. */
    public static String namespace(KubernetesClient client) {
        String namespace = client.getNamespace();
        return namespace == null ? "" : namespace;
    }

    /** An API error in one line: the HTTP status and the API server's message, or why nothing came back. */
    public static String describe(KubernetesClientException e) {
        Status status = e.getStatus();
        if (e.getCode() > 0) {
            String message = status != null && status.getMessage() != null ? status.getMessage() : e.getMessage();
            return "HTTP " + e.getCode() + " " + message;
        }
        Throwable cause = e.getCause() == null ? e : e.getCause();
        return "no answer from the API server (" + cause.getMessage() + ")";
    }

    /** Whether the API server refused the credentials or their permissions. */
    public static boolean denied(KubernetesClientException e) {
        return e.getCode() == 401 || e.getCode() == 403;
    }
}
