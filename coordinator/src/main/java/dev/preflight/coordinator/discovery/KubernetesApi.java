package dev.preflight.coordinator.discovery;

import dev.preflight.agent.hostfs.BoundedFile;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.preflight.agent.security.PemFiles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The Kubernetes API as a pod inside the cluster reaches it: the API server from
 * KUBERNETES_SERVICE_HOST/PORT, the service account's token and CA from their mounted files, JSON
 * in and out, every answer bounded in size and time.
 */
public final class KubernetesApi {
    public static final Path SERVICE_ACCOUNT = Paths.get("/var/run/secrets/kubernetes.io/serviceaccount");
    static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    /** An answer: the HTTP status and the body. */
    public record Response(int status, String body) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The "message" of a Kubernetes Status object, or the start of whatever came back. */
        public String message() {
            try {
                JsonElement message = JsonParser.parseString(body).getAsJsonObject().get("message");
                if (message != null) {
                    return message.getAsString();
                }
            } catch (RuntimeException e) {
                // not a Status object: show the raw start below
            }
            return body.length() > 200 ? body.substring(0, 200) + "…" : body;
        }
    }

    private final URI apiServer;
    private final String token;
    private final String namespace;
    private final HttpClient http;

    private KubernetesApi(URI apiServer, String token, String namespace, SSLContext tls) {
        this.apiServer = apiServer;
        this.token = token;
        this.namespace = namespace;
        this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * The in-cluster client.
     *
     * @param flag the option that needs it, named in the error when not running in a pod
     * @throws IOException naming what is missing when not running in a pod
     */
    public static KubernetesApi inCluster(Map<String, String> env, Path serviceAccount, String flag) throws IOException {
        String host = env.get("KUBERNETES_SERVICE_HOST");
        String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        if (host == null || host.isBlank()) {
            throw new IOException("KUBERNETES_SERVICE_HOST is not set: " + flag + " works from a pod inside the cluster");
        }
        Path tokenFile = serviceAccount.resolve("token");
        Path caFile = serviceAccount.resolve("ca.crt");
        if (!Files.isReadable(tokenFile) || !Files.isReadable(caFile)) {
            throw new IOException("no service-account credentials under " + serviceAccount
                    + " (is automountServiceAccountToken off?)");
        }
        String token = BoundedFile.readText(tokenFile, BoundedFile.USER).strip();
        Path namespaceFile = serviceAccount.resolve("namespace");
        String namespace = Files.isReadable(namespaceFile)
                ? BoundedFile.readText(namespaceFile, BoundedFile.USER).strip() : "";
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {PemFiles.trustManager(caFile)}, null);
            String authority = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return new KubernetesApi(URI.create("https://" + authority + ":" + port), token, namespace, tls);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("cannot use " + caFile + ": " + e.getMessage());
        }
    }

    /** The pod's own namespace (the service account's), empty where the file is absent. */
    public String namespace() {
        return namespace;
    }

    public Response get(String pathAndQuery) throws IOException, InterruptedException {
        return send(request(pathAndQuery).GET());
    }

    public Response post(String path, String json) throws IOException, InterruptedException {
        return send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)));
    }

    public Response delete(String pathAndQuery) throws IOException, InterruptedException {
        return send(request(pathAndQuery).DELETE());
    }

    private HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(apiServer.resolve(pathAndQuery))
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json")
                .timeout(REQUEST_TIMEOUT);
    }

    private Response send(HttpRequest.Builder builder) throws IOException, InterruptedException {
        HttpRequest request = builder.build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.body().length() > MAX_RESPONSE_BYTES) {
            throw new IOException(request.method() + " " + request.uri().getPath()
                    + ": the answer is larger than " + MAX_RESPONSE_BYTES + " bytes");
        }
        return new Response(response.statusCode(), response.body());
    }
}
