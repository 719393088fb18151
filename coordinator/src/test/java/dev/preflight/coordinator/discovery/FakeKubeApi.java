package dev.preflight.coordinator.discovery;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.preflight.agent.security.PemFiles;
import dev.preflight.agent.security.TestPki;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;

/**
 * A fake of the Kubernetes API (the port the coordinator talks to) on loopback over TLS: it takes
 * the bench group's create and delete as kube-apiserver does, and answers the pod listings with a
 * script of PodLists, the last one repeated. The PodLists are written after the v1 Pod schema with
 * kube-scheduler's and the kubelet's message wording, not captured from a cluster. The service
 * account directory beside it holds the token, the CA and the namespace a pod would have mounted.
 */
public final class FakeKubeApi implements AutoCloseable {
    public static final String NAMESPACE = "preflight";
    private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.coordinator-token";

    private final HttpsServer server;
    private final Path serviceAccount;
    /** "METHOD path?query" of every request, in order. */
    public final List<String> requests = new CopyOnWriteArrayList<>();
    /** The bodies of the create requests. */
    public final List<String> created = new CopyOnWriteArrayList<>();
    private final List<String> podLists = new CopyOnWriteArrayList<>();
    private volatile int createStatus = 201;
    private volatile String createAnswer = "";

    private FakeKubeApi(HttpsServer server, Path serviceAccount) {
        this.server = server;
        this.serviceAccount = serviceAccount;
    }

    public static FakeKubeApi start(Path dir) throws IOException {
        TestPki pki = TestPki.create(dir, "cluster");
        TestPki.Issued apiserver = pki.server("kube-apiserver", "127.0.0.1");
        HttpsServer server;
        try {
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(new KeyManager[] {PemFiles.keyManager(apiserver.cert(), apiserver.key())}, null, null);
            server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
        Path serviceAccount = Files.createDirectories(dir.resolve("serviceaccount"));
        Files.writeString(serviceAccount.resolve("token"), TOKEN + "\n");
        Files.writeString(serviceAccount.resolve("namespace"), NAMESPACE);
        Files.copy(pki.caFile(), serviceAccount.resolve("ca.crt"));
        FakeKubeApi api = new FakeKubeApi(server, serviceAccount);
        server.createContext("/", api::handle);
        server.start();
        return api;
    }

    /** The environment a pod in the cluster has, pointing here. */
    public Map<String, String> environment() {
        return Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
                "KUBERNETES_SERVICE_PORT", String.valueOf(server.getAddress().getPort()));
    }

    public Path serviceAccount() {
        return serviceAccount;
    }

    public KubernetesApi client() throws IOException {
        return KubernetesApi.inCluster(environment(), serviceAccount, "--bench-pods");
    }

    /** The next pod listings, in order; the last one stays. */
    public FakeKubeApi pods(String... lists) {
        podLists.addAll(List.of(lists));
        return this;
    }

    /** Answers the create with this status and Status message instead of 201. */
    public FakeKubeApi refuseCreate(int status, String reason, String message) {
        createStatus = status;
        createAnswer = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                + new com.google.gson.JsonPrimitive(message)
                + ",\"reason\":\"" + reason + "\",\"code\":" + status + "}";
        return this;
    }

    public List<String> deletes() {
        return requests.stream().filter(r -> r.startsWith("DELETE ")).toList();
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        String query = exchange.getRequestURI().getRawQuery();
        String request = exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
                + (query == null ? "" : "?" + URLDecoder.decode(query, StandardCharsets.UTF_8));
        requests.add(request);
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (!("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            answer(exchange, 401, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                    + "\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}");
            return;
        }
        switch (exchange.getRequestMethod()) {
            case "POST":
                created.add(body);
                answer(exchange, createStatus, createStatus == 201 ? body : createAnswer);
                return;
            case "GET":
                if (exchange.getRequestURI().getPath().endsWith("/pods") && !podLists.isEmpty()) {
                    String list = podLists.size() > 1 ? podLists.remove(0) : podLists.get(0);
                    answer(exchange, 200, list);
                    return;
                }
                break;
            case "DELETE":
                answer(exchange, 200, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\"}");
                return;
            default:
                break;
        }
        answer(exchange, 404, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"the server"
                + " could not find the requested resource\",\"reason\":\"NotFound\",\"code\":404}");
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A PodList of these pods. */
    public static String podList(String... pods) {
        return "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"48213\"},\"items\":["
                + String.join(",", pods) + "]}";
    }

    /** A pod the scheduler placed, whose containers run and pass their readiness. */
    public static String runningPod(String name, String node, String ip) {
        return "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NAMESPACE + "\"},"
                + "\"spec\":{\"nodeName\":\"" + node + "\"},"
                + "\"status\":{\"phase\":\"Running\",\"conditions\":["
                + "{\"type\":\"Initialized\",\"status\":\"True\",\"lastTransitionTime\":\"2026-11-25T21:40:02Z\"},"
                + "{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"2026-11-25T21:40:09Z\"},"
                + "{\"type\":\"ContainersReady\",\"status\":\"True\",\"lastTransitionTime\":\"2026-11-25T21:40:09Z\"},"
                + "{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastTransitionTime\":\"2026-11-25T21:39:58Z\"}],"
                + "\"hostIP\":\"" + ip + "\",\"podIP\":\"" + ip + "\",\"podIPs\":[{\"ip\":\"" + ip + "\"}],"
                + "\"containerStatuses\":[{\"name\":\"workload\",\"ready\":true,\"restartCount\":0,"
                + "\"state\":{\"running\":{\"startedAt\":\"2026-11-25T21:40:05Z\"}}}],\"qosClass\":\"Burstable\"}}";
    }

    /** A pod the scheduler cannot place, with the message kube-scheduler writes. */
    public static String unschedulablePod(String name) {
        return "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NAMESPACE + "\"},\"spec\":{},"
                + "\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
                + "\"lastTransitionTime\":\"2026-11-25T21:39:58Z\",\"reason\":\"Unschedulable\",\"message\":\"0/4 nodes"
                + " are available: 4 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are available: 4 No preemption"
                + " victims found for incoming pod.\"}],\"qosClass\":\"Burstable\"}}";
    }

    /** A pod placed on a node whose image does not pull. */
    public static String imagePullBackOffPod(String name, String node) {
        return "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + NAMESPACE + "\"},"
                + "\"spec\":{\"nodeName\":\"" + node + "\"},"
                + "\"status\":{\"phase\":\"Pending\",\"conditions\":["
                + "{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"ContainersNotReady\"},"
                + "{\"type\":\"PodScheduled\",\"status\":\"True\"}],\"hostIP\":\"10.0.3.12\",\"podIP\":\"10.0.3.12\","
                + "\"containerStatuses\":[{\"name\":\"workload\",\"ready\":false,\"restartCount\":0,\"image\":"
                + "\"inference-image:tag\",\"state\":{\"waiting\":{\"reason\":\"ImagePullBackOff\",\"message\":"
                + "\"Back-off pulling image \\\"inference-image:tag\\\"\"}}}],\"qosClass\":\"Burstable\"}}";
    }

    @Override
    public void close() {
        server.stop(0);
    }

    /** Every request, for an assertion's message. */
    @Override
    public String toString() {
        return new ArrayList<>(requests).toString();
    }
}
