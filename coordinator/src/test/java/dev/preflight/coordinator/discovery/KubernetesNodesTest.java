package dev.preflight.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeListBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against fabric8's mock API server: nodes kept as the API server keeps them, pages and refusals as it answers. */
class KubernetesNodesTest {
    @TempDir
    Path dir;
    private KubeMock api;
    private KubernetesClient client;

    @BeforeEach
    void start() throws IOException {
        api = KubeMock.start(dir);
        client = KubernetesApi.connect(api.environment(), dir, "--k8s-nodes");
    }

    @AfterEach
    void stop() {
        client.close();
        api.close();
    }

    private void node(String name, Map<String, String> labels) {
        api.admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .build()).create();
    }

    @Test
    void theNodesMatchingTheSelectorAreListed() throws Exception {
        node("gpu-01", Map.of("nvidia.com/gpu.present", "true"));
        node("gpu-02", Map.of("nvidia.com/gpu.present", "true"));
        node("cpu-01", Map.of());
        assertEquals(List.of("gpu-01", "gpu-02"), new KubernetesNodes(client).list("nvidia.com/gpu.present=true"));
        List<String> gets = api.requests().stream().filter(r -> r.startsWith("GET ")).toList();
        assertTrue(gets.get(0).startsWith("GET /api/v1/nodes?labelSelector=nvidia.com%2Fgpu.present%3Dtrue"), gets.toString());
    }

    @Test
    void everyPageIsFollowed() throws Exception {
        String first = "/api/v1/nodes?labelSelector=nvidia.com%2Fgpu.present%3Dtrue&limit=500";
        api.server.expect().get().withPath(first).andReturn(200, new NodeListBuilder().withNewMetadata()
                .withContinue("eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ").endMetadata()
                .addNewItem().withNewMetadata().withName("gpu-01").endMetadata().endItem()
                .addNewItem().withNewMetadata().withName("gpu-02").endMetadata().endItem().build()).once();
        api.server.expect().get().withPath("/api/v1/nodes?continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ"
                + "&labelSelector=nvidia.com%2Fgpu.present%3Dtrue&limit=500").andReturn(200,
                new NodeListBuilder().addNewItem().withNewMetadata().withName("gpu-03").endMetadata().endItem().build())
                .once();
        assertEquals(List.of("gpu-01", "gpu-02", "gpu-03"), new KubernetesNodes(client).list("nvidia.com/gpu.present=true"),
                api.requests().toString());
    }

    @Test
    void aForbiddenListingNamesTheMissingPermission() {
        api.refuse("GET", "/api/v1/nodes?labelSelector=nvidia.com%2Fgpu.present%3Dtrue&limit=500", 403, "Forbidden",
                "nodes is forbidden: User \"system:serviceaccount:preflight:preflight-coordinator\" cannot list resource"
                        + " \"nodes\" in API group \"\" at the cluster scope");
        IOException refused = assertThrows(IOException.class,
                () -> new KubernetesNodes(client).list("nvidia.com/gpu.present=true"));
        assertEquals("listing nodes: HTTP 403 nodes is forbidden: User \"system:serviceaccount:preflight:preflight-coordinator\""
                + " cannot list resource \"nodes\" in API group \"\" at the cluster scope; the coordinator's service account"
                + " needs get/list on nodes (deploy/kubernetes/rbac.yaml)", refused.getMessage());
    }

    @Test
    void inAPodTheServiceAccountIsUsedAndItsTokenReadAgainForEveryRequest() throws Exception {
        Path account = Files.createDirectories(dir.resolve("serviceaccount"));
        Files.writeString(account.resolve("token"), "eyJhbGciOiJSUzI1NiJ9.first\n");
        Files.writeString(account.resolve("ca.crt"), "-----BEGIN CERTIFICATE-----\n");
        Files.writeString(account.resolve("namespace"), "preflight");
        Config config = KubernetesApi.config(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "443"),
                account, "--k8s-nodes");
        assertEquals("https://10.96.0.1:443/", config.getMasterUrl());
        assertEquals(account.resolve("ca.crt").toString(), config.getCaCertFile());
        assertEquals("preflight", config.getNamespace());
        assertEquals("eyJhbGciOiJSUzI1NiJ9.first", config.getOauthTokenProvider().getToken());
        // the kubelet rotates a projected token in place
        Files.writeString(account.resolve("token"), "eyJhbGciOiJSUzI1NiJ9.second\n");
        assertEquals("eyJhbGciOiJSUzI1NiJ9.second", config.getOauthTokenProvider().getToken());
        assertEquals("https://[fd00::1]:6443/", KubernetesApi.config(Map.of("KUBERNETES_SERVICE_HOST", "fd00::1",
                "KUBERNETES_SERVICE_PORT", "6443"), account, "--k8s-nodes").getMasterUrl());
        assertEquals("KUBERNETES_SERVICE_PORT '44x': expected a port, 1-65535", assertThrows(IOException.class,
                () -> KubernetesApi.config(Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1", "KUBERNETES_SERVICE_PORT", "44x"),
                        account, "--k8s-nodes")).getMessage());
    }

    @Test
    void outsideAPodWithNoKubeconfigTheErrorSaysSo() {
        IOException missing = assertThrows(IOException.class,
                () -> KubernetesApi.connect(Map.of("HOME", dir.toString()), dir, "--k8s-nodes"));
        assertEquals("KUBERNETES_SERVICE_HOST is not set and there is no kubeconfig (KUBECONFIG, ~/.kube/config):"
                + " --k8s-nodes works from a pod inside the cluster, or with kubectl's credentials", missing.getMessage());
        assertEquals("KUBECONFIG names " + dir.resolve("nope") + ", which cannot be read", assertThrows(IOException.class,
                () -> KubernetesApi.connect(Map.of("KUBECONFIG", dir.resolve("nope").toString()), dir, "--k8s-nodes"))
                .getMessage());
        assertThrows(IllegalArgumentException.class, () -> KubernetesNodes.validateSelector("a=b&watch=true"));
    }
}
