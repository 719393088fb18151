package dev.preflight.coordinator.discovery;

import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.TimeUnit;

/**
 * fabric8's mock Kubernetes API server on loopback, in CRUD mode: objects are created, listed,
 * watched, patched and deleted as the API server keeps them; expectations answer first where a
 * refusal's wording matters. The test plays the LeaderWorkerSet controller and the kubelets by
 * writing the pods (with {@link #runningPod} and the like: the v1 Pod schema, with
 * kube-scheduler's and the kubelet's message wording). The coordinator reaches it through a
 * kubeconfig, as kubectl would.
 */
public final class KubeMock implements AutoCloseable {
    public static final String NAMESPACE = "preflight";
    public static final CustomResourceDefinitionContext LWS = new CustomResourceDefinitionContext.Builder()
            .withGroup("leaderworkerset.x-k8s.io").withVersion("v1").withKind("LeaderWorkerSet")
            .withPlural("leaderworkersets").withScope("Namespaced").build();
    private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.coordinator-token";

    public final KubernetesMockServer server;
    /** The test's own client, for arranging and inspecting the cluster. */
    public final NamespacedKubernetesClient admin;
    private final Path kubeconfig;
    private final List<String> requests = new ArrayList<>();

    private KubeMock(KubernetesMockServer server, Path kubeconfig) {
        this.server = server;
        this.admin = server.createClient().inNamespace(NAMESPACE);
        this.kubeconfig = kubeconfig;
    }

    public static KubeMock start(Path dir) throws IOException {
        Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
        KubernetesMixedDispatcher dispatcher = new KubernetesMixedDispatcher(responses);
        dispatcher.expectCustomResource(LWS);
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), responses, dispatcher,
                false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, String.join("\n",
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: mock",
                "  cluster:",
                "    server: http://127.0.0.1:" + server.getPort(),
                "users:",
                "- name: coordinator",
                "  user:",
                "    token: " + TOKEN,
                "contexts:",
                "- name: mock",
                "  context:",
                "    cluster: mock",
                "    user: coordinator",
                "    namespace: " + NAMESPACE,
                "current-context: mock",
                ""));
        return new KubeMock(server, kubeconfig);
    }

    /** The environment of a coordinator outside the cluster, with this server in its kubeconfig. */
    public Map<String, String> environment() {
        return Map.of("KUBERNETES_SERVICE_HOST", "", "KUBECONFIG", kubeconfig.toString());
    }

    /** The coordinator's client, made the way the CLI makes it. */
    public KubernetesClient client() throws IOException {
        return KubernetesApi.connect(environment(), KubernetesApi.SERVICE_ACCOUNT, "--bench-pods");
    }

    /** "METHOD path?query" of every request so far, in order. */
    public synchronized List<String> requests() throws InterruptedException {
        RecordedRequest request;
        while ((request = server.takeRequest(0, TimeUnit.MILLISECONDS)) != null) {
            requests.add(request.getMethod() + " " + request.getPath()
                    + ("DELETE".equals(request.getMethod()) ? " " + request.getUtf8Body() : ""));
        }
        return List.copyOf(requests);
    }

    public List<String> deletes() throws InterruptedException {
        return requests().stream().filter(r -> r.startsWith("DELETE ")).toList();
    }

    /** The next request of this method and path is answered with a Status of this code, reason and message. */
    public void refuse(String method, String path, int code, String reason, String message) {
        Object status = new StatusBuilder().withStatus("Failure").withCode(code).withReason(reason).withMessage(message)
                .build();
        switch (method) {
            case "POST" -> server.expect().post().withPath(path).andReturn(code, status).once();
            case "GET" -> server.expect().get().withPath(path).andReturn(code, status).always();
            case "PATCH" -> server.expect().patch().withPath(path).andReturn(code, status).always();
            default -> throw new IllegalArgumentException(method);
        }
    }

    /** The bench groups in the namespace (the LeaderWorkerSets the coordinator created and has not deleted). */
    public List<GenericKubernetesResource> benchGroups() {
        return admin.genericKubernetesResources(LWS).inNamespace(NAMESPACE).list().getItems();
    }

    /** Writes pods as the controller and the kubelets would, replacing those of the same name. */
    public void pods(Pod... pods) {
        for (Pod pod : pods) {
            admin.pods().inNamespace(NAMESPACE).resource(pod).createOr(existing -> existing.update());
        }
    }

    private static PodBuilder pod(String name, String run) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(NAMESPACE)
                .addToLabels(BenchPods.RUN_LABEL, run).endMetadata();
    }

    /** A pod the scheduler placed, whose containers run and pass their readiness. */
    public static Pod runningPod(String name, String run, String node, String ip) {
        return pod(name, run).withNewSpec().withNodeName(node).endSpec()
                .withNewStatus().withPhase("Running")
                .withConditions(condition("Initialized", "True"), condition("Ready", "True"),
                        condition("ContainersReady", "True"), condition("PodScheduled", "True"))
                .withHostIP(ip).withPodIP(ip)
                .withContainerStatuses(new ContainerStatusBuilder().withName("workload").withReady(true).withRestartCount(0)
                        .withNewState().withNewRunning().withStartedAt("2026-11-25T21:40:05Z").endRunning().endState().build())
                .withQosClass("Burstable").endStatus().build();
    }

    /** A pod the scheduler cannot place, with the message kube-scheduler writes. */
    public static Pod unschedulablePod(String name, String run) {
        return pod(name, run).withNewSpec().endSpec().withNewStatus().withPhase("Pending")
                .withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
                        .withLastTransitionTime("2026-11-25T21:39:58Z").withReason("Unschedulable")
                        .withMessage("0/4 nodes are available: 4 Insufficient nvidia.com/gpu. preemption: 0/4 nodes are"
                                + " available: 4 No preemption victims found for incoming pod.").build())
                .withQosClass("Burstable").endStatus().build();
    }

    /** A pod placed on a node whose image does not pull. */
    public static Pod imagePullBackOffPod(String name, String run, String node) {
        return pod(name, run).withNewSpec().withNodeName(node).endSpec().withNewStatus().withPhase("Pending")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("False")
                        .withReason("ContainersNotReady").build(), condition("PodScheduled", "True"))
                .withHostIP("10.0.3.12").withPodIP("10.0.3.12")
                .withContainerStatuses(new ContainerStatusBuilder().withName("workload").withReady(false)
                        .withRestartCount(0).withImage("inference-image:tag").withNewState().withNewWaiting()
                        .withReason("ImagePullBackOff").withMessage("Back-off pulling image \"inference-image:tag\"")
                        .endWaiting().endState().build())
                .withQosClass("Burstable").endStatus().build();
    }

    private static io.fabric8.kubernetes.api.model.PodCondition condition(String type, String status) {
        return new PodConditionBuilder().withType(type).withStatus(status).withLastTransitionTime("2026-11-25T21:40:02Z")
                .build();
    }

    @Override
    public void close() {
        admin.close();
        server.destroy();
    }
}
