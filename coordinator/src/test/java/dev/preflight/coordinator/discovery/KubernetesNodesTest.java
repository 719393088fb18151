package dev.preflight.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a fake API server on loopback over TLS, answering the way kube-apiserver does. */
class KubernetesNodesTest {
    @TempDir
    Path dir;
    private HttpsServer server;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private volatile int status = 200;

    @BeforeEach
    void start() throws Exception {
        TestPki pki = TestPki.create(dir, "cluster");
        TestPki.Issued apiserver = pki.server("kube-apiserver", "127.0.0.1");
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(new KeyManager[] {PemFiles.keyManager(apiserver.cert(), apiserver.key())}, null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 8);
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/api/v1/nodes", exchange -> {
            String query = URLDecoder.decode(exchange.getRequestURI().getRawQuery(), StandardCharsets.UTF_8);
            requests.add(query);
            authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
            String body;
            if (status != 200) {
                body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"nodes is forbidden:"
                        + " User \\\"system:serviceaccount:preflight:preflight-coordinator\\\" cannot list resource"
                        + " \\\"nodes\\\" in API group \\\"\\\" at the cluster scope\",\"reason\":\"Forbidden\",\"code\":403}";
            } else if (!query.contains("continue=")) {
                body = "{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1234\","
                        + "\"continue\":\"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ\"},\"items\":["
                        + "{\"metadata\":{\"name\":\"gpu-01\",\"labels\":{\"nvidia.com/gpu.present\":\"true\"}}},"
                        + "{\"metadata\":{\"name\":\"gpu-02\"}}]}";
            } else {
                body = "{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"1234\"},"
                        + "\"items\":[{\"metadata\":{\"name\":\"gpu-03\"}}]}";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        Path serviceAccount = Files.createDirectories(dir.resolve("serviceaccount"));
        Files.writeString(serviceAccount.resolve("token"), "eyJhbGciOiJSUzI1NiJ9.sa-token\n");
        Files.copy(pki.caFile(), serviceAccount.resolve("ca.crt"));
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private KubernetesNodes client() throws IOException {
        return new KubernetesNodes(KubernetesApi.inCluster(Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
                "KUBERNETES_SERVICE_PORT", String.valueOf(server.getAddress().getPort())), dir.resolve("serviceaccount"),
                "--k8s-nodes"));
    }

    @Test
    void everyPageOfMatchingNodesIsListedWithTheServiceAccountToken() throws Exception {
        assertEquals(List.of("gpu-01", "gpu-02", "gpu-03"), client().list("nvidia.com/gpu.present=true"));
        assertEquals(2, requests.size());
        assertEquals("labelSelector=nvidia.com/gpu.present=true&limit=500", requests.get(0));
        assertTrue(requests.get(1).endsWith("&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"), requests.get(1));
        assertEquals("Bearer eyJhbGciOiJSUzI1NiJ9.sa-token", authorizations.get(0));
    }

    @Test
    void aForbiddenListingNamesTheMissingPermission() throws Exception {
        status = 403;
        IOException refused = assertThrows(IOException.class, () -> client().list("nvidia.com/gpu.present=true"));
        assertTrue(refused.getMessage().startsWith("listing nodes: HTTP 403 nodes is forbidden: User"), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("needs get/list on nodes (deploy/kubernetes/rbac.yaml)"));
    }

    @Test
    void outsideAPodTheErrorSaysSo() {
        IOException missing = assertThrows(IOException.class, () -> KubernetesApi.inCluster(Map.of(), dir, "--k8s-nodes"));
        assertEquals("KUBERNETES_SERVICE_HOST is not set: --k8s-nodes works from a pod inside the cluster",
                missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KubernetesNodes.validateSelector("a=b&watch=true"));
    }
}
