package dev.preflight.coordinator.discovery;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.preflight.agent.security.PemFiles;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The nodes that should have an agent, from the Kubernetes API: {@code GET /api/v1/nodes} with a
 * label selector, using the pod's service-account credentials (needs get/list on nodes, see
 * deploy/kubernetes/rbac.yaml). Nodes, not pods: a node with no agent pod at all is exactly the
 * one the headless Service cannot show.
 */
public final class KubernetesNodes {
    public static final Path SERVICE_ACCOUNT = Paths.get("/var/run/secrets/kubernetes.io/serviceaccount");
    static final int PAGE_SIZE = 500;
    static final int MAX_PAGES = 200;
    static final int MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

    private final URI apiServer;
    private final String token;
    private final HttpClient http;

    KubernetesNodes(URI apiServer, String token, SSLContext tls) {
        this.apiServer = apiServer;
        this.token = token;
        this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /**
     * The in-cluster client: the API server from KUBERNETES_SERVICE_HOST/PORT, the token and CA
     * from the service account's mounted files.
     *
     * @throws IOException naming what is missing when not running in a pod
     */
    public static KubernetesNodes inCluster(Map<String, String> env, Path serviceAccount) throws IOException {
        String host = env.get("KUBERNETES_SERVICE_HOST");
        String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        if (host == null || host.isBlank()) {
            throw new IOException("KUBERNETES_SERVICE_HOST is not set: --k8s-nodes works from a pod inside the cluster");
        }
        Path tokenFile = serviceAccount.resolve("token");
        Path caFile = serviceAccount.resolve("ca.crt");
        if (!Files.isReadable(tokenFile) || !Files.isReadable(caFile)) {
            throw new IOException("no service-account credentials under " + serviceAccount
                    + " (is automountServiceAccountToken off?)");
        }
        String token = Files.readString(tokenFile, StandardCharsets.US_ASCII).strip();
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, new TrustManager[] {PemFiles.trustManager(caFile)}, null);
            String authority = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
            return new KubernetesNodes(URI.create("https://" + authority + ":" + port), token, tls);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("cannot use " + caFile + ": " + e.getMessage());
        }
    }

    /** Checks a selector's characters before it goes into a URL; the API server judges its grammar. */
    public static String validateSelector(String selector) {
        if (selector == null || selector.isBlank() || selector.length() > 1024
                || !selector.matches("[A-Za-z0-9._/=!,() -]+")) {
            throw new IllegalArgumentException("'" + selector + "' is not a label selector (e.g."
                    + " nvidia.com/gpu.present=true, or node-role.kubernetes.io/gpu)");
        }
        return selector;
    }

    /**
     * The names of the nodes matching the selector, every page of them.
     *
     * @throws IOException naming the HTTP status and the API server's message
     */
    public List<String> list(String selector) throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        String continueToken = "";
        for (int page = 0; page < MAX_PAGES; page++) {
            String query = "labelSelector=" + URLEncoder.encode(validateSelector(selector), StandardCharsets.UTF_8)
                    + "&limit=" + PAGE_SIZE
                    + (continueToken.isEmpty() ? "" : "&continue=" + URLEncoder.encode(continueToken, StandardCharsets.UTF_8));
            HttpRequest request = HttpRequest.newBuilder(apiServer.resolve("/api/v1/nodes?" + query))
                    .header("Authorization", "Bearer " + token)
                    .header("Accept", "application/json")
                    .timeout(Duration.ofSeconds(30))
                    .GET()
                    .build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.body().length() > MAX_RESPONSE_BYTES) {
                throw new IOException("the node list is larger than " + MAX_RESPONSE_BYTES + " bytes");
            }
            if (response.statusCode() != 200) {
                throw new IOException("listing nodes: HTTP " + response.statusCode() + " " + message(response.body())
                        + (response.statusCode() == 401 || response.statusCode() == 403
                                ? "; the coordinator's service account needs get/list on nodes"
                                        + " (deploy/kubernetes/rbac.yaml)" : ""));
            }
            try {
                JsonObject list = JsonParser.parseString(response.body()).getAsJsonObject();
                for (JsonElement item : list.getAsJsonArray("items")) {
                    names.add(item.getAsJsonObject().getAsJsonObject("metadata").get("name").getAsString());
                }
                JsonObject metadata = list.getAsJsonObject("metadata");
                JsonElement next = metadata == null ? null : metadata.get("continue");
                continueToken = next == null || next.isJsonNull() ? "" : next.getAsString();
            } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException e) {
                throw new IOException("listing nodes: the API server's answer is not a NodeList (" + e.getMessage() + ")");
            }
            if (continueToken.isEmpty()) {
                return names;
            }
        }
        throw new IOException("listing nodes: more than " + MAX_PAGES + " pages of " + PAGE_SIZE);
    }

    /** The "message" of a Kubernetes Status object, or the start of whatever came back. */
    private static String message(String body) {
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
