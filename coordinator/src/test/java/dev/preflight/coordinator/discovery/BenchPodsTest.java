package dev.preflight.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench group's life against fabric8's mock API server: created labelled, watched, deleted. */
class BenchPodsTest {
    private static final Path TEMPLATE = Paths.get(System.getProperty("basedir", ".")).toAbsolutePath().getParent()
            .resolve("deploy/kubernetes/bench-lws.yaml");
    private static final String LWS = "/apis/leaderworkerset.x-k8s.io/v1/namespaces/preflight/leaderworkersets";

    @TempDir
    Path dir;
    private KubeMock api;
    private KubernetesClient client;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        api = KubeMock.start(dir);
        client = api.client();
    }

    @AfterEach
    void stop() {
        client.close();
        api.close();
    }

    /** Runs {@code then} once a progress line contains {@code line}, as the cluster would change meanwhile. */
    private Thread when(String line, Runnable then) {
        Thread thread = new Thread(() -> {
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (lines.stream().noneMatch(l -> l.contains(line)) && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
            then.run();
        });
        thread.start();
        return thread;
    }

    @Test
    void theGroupIsCreatedLabelledWatchedUntilEveryPodIsReadyAndDeleted() throws Exception {
        BenchPods.Template template = BenchPods.read(TEMPLATE);
        BenchPods.Ready ready;
        GenericKubernetesResource created;
        try (BenchPods pods = BenchPods.create(client, template, "run-42", lines::add)) {
            created = api.benchGroups().get(0);
            api.pods(KubeMock.unschedulablePod("preflight-bench-0", "run-42"),
                    KubeMock.unschedulablePod("preflight-bench-0-1", "run-42"));
            Thread kubelet = when("0/2 ready", () -> api.pods(
                    KubeMock.runningPod("preflight-bench-0", "run-42", "gpu-01", "10.0.3.11"),
                    KubeMock.runningPod("preflight-bench-0-1", "run-42", "gpu-02", "10.0.3.12")));
            ready = pods.await(Duration.ofSeconds(30));
            kubelet.join();
        }
        assertEquals(List.of("10.0.3.11:7745", "10.0.3.12:7745"),
                ready.agents().stream().map(agent -> agent.address().toString()).toList());
        assertEquals(List.of("gpu-01", "gpu-02"), ready.nodes());
        assertEquals("", ready.notReady());
        assertTrue(api.benchGroups().isEmpty(), "deleted");
        List<String> requests = api.requests();
        assertTrue(requests.contains("POST " + LWS), requests.toString());
        assertTrue(requests.stream().anyMatch(r -> r.startsWith("GET /api/v1/namespaces/preflight/pods?")
                && r.contains("labelSelector=preflight.dev%2Fbench-run%3Drun-42") && r.contains("watch=true")),
                "watched, not polled: " + requests);
        assertFalse(api.deletes().isEmpty(), requests.toString());
        assertTrue(api.deletes().get(0).startsWith("DELETE " + LWS + "/preflight-bench "), api.deletes().toString());
        assertTrue(api.deletes().get(0).contains("\"propagationPolicy\":\"Background\""), api.deletes().toString());

        assertEquals("run-42", created.getMetadata().getLabels().get(BenchPods.RUN_LABEL));
        Map<String, Object> worker = created.get("spec", "leaderWorkerTemplate", "workerTemplate", "metadata", "labels");
        assertEquals("run-42", worker.get(BenchPods.RUN_LABEL), "the pods carry the run, so they can be listed");
        assertEquals(2, ((Number) created.get("spec", "leaderWorkerTemplate", "size")).intValue(), "the template as written");

        assertEquals("bench pods: created LeaderWorkerSet preflight/preflight-bench (2 pod(s), run run-42)", lines.get(0));
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("bench pods: 0/2 ready; preflight-bench-0 Pending"
                + " (Unschedulable: 0/4 nodes are available: 4 Insufficient nvidia.com/gpu.")), lines.toString());
        assertEquals("bench pods: 2/2 ready", lines.get(lines.size() - 2));
        assertEquals("bench pods: deleted LeaderWorkerSet preflight/preflight-bench", lines.get(lines.size() - 1));
    }

    @Test
    void aPodWhoseImageDoesNotPullEndsTheWaitAtOnceAndNamesWhy() throws Exception {
        long started = System.nanoTime();
        BenchPods.Ready ready;
        try (BenchPods pods = BenchPods.create(client, BenchPods.read(TEMPLATE), "run-7", lines::add)) {
            api.pods(KubeMock.runningPod("preflight-bench-0", "run-7", "gpu-01", "10.0.3.11"),
                    KubeMock.imagePullBackOffPod("preflight-bench-0-1", "run-7", "gpu-02"));
            ready = pods.await(Duration.ofMinutes(10));
        }
        assertTrue(System.nanoTime() - started < Duration.ofMinutes(5).toNanos(), "did not wait out the 10 minutes");
        assertEquals("preflight-bench-0-1 cannot start: Pending (workload ImagePullBackOff: Back-off pulling image"
                + " \"inference-image:tag\")", ready.notReady());
        assertEquals(List.of("gpu-01"), ready.nodes());
        assertTrue(api.benchGroups().isEmpty(), "deleted: " + api.requests());

        // the plan expects both pods' nodes: the missing one is a FAIL that says why
        CheckResult check = Discovery.of(ready).expected().judge(List.of());
        assertEquals(CheckResult.Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().endsWith("(bench pods LeaderWorkerSet preflight/preflight-bench: preflight-bench-0-1"
                + " cannot start: Pending (workload ImagePullBackOff: Back-off pulling image \"inference-image:tag\"))"),
                check.getSummary());
    }

    @Test
    void podsThatNeverScheduleAreNamedWhenTheWaitEnds() throws Exception {
        BenchPods.Ready ready;
        try (BenchPods pods = BenchPods.create(client, BenchPods.read(TEMPLATE), "run-8", lines::add)) {
            api.pods(KubeMock.unschedulablePod("preflight-bench-0", "run-8"),
                    KubeMock.unschedulablePod("preflight-bench-0-1", "run-8"),
                    // another run's pod: not this run's to count
                    KubeMock.runningPod("other-0", "run-1", "gpu-09", "10.0.3.19"));
            ready = pods.await(Duration.ofSeconds(3));
        }
        assertTrue(ready.agents().isEmpty());
        assertTrue(ready.notReady().startsWith("2 of 2 pod(s) not ready after 3 s: preflight-bench-0 Pending"
                + " (Unschedulable: 0/4 nodes are available"), ready.notReady());
        assertTrue(api.benchGroups().isEmpty(), "deleted: " + api.requests());
        CheckResult check = Discovery.of(ready).expected().judge(List.of());
        assertEquals(CheckResult.Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().startsWith("expected at least 2 node(s), 0 answered (bench pods"), check.getSummary());
    }

    @Test
    void aGroupLeftFromAnEarlierRunIsAConflictThatSaysHowToClearIt() throws Exception {
        try (BenchPods earlier = BenchPods.create(client, BenchPods.read(TEMPLATE), "run-1", line -> { })) {
            IOException conflict = assertThrows(IOException.class,
                    () -> BenchPods.create(client, BenchPods.read(TEMPLATE), "run-9", lines::add));
            assertTrue(conflict.getMessage().startsWith("creating LeaderWorkerSet preflight/preflight-bench: HTTP 409 "),
                    conflict.getMessage());
            assertTrue(conflict.getMessage().endsWith("; a bench group of that name exists (a run still going, or one that"
                    + " could not clean up): kubectl -n preflight delete leaderworkerset preflight-bench"),
                    conflict.getMessage());
            assertTrue(api.deletes().isEmpty(), "not ours to delete");
            assertEquals("run-1", api.benchGroups().get(0).getMetadata().getLabels().get(BenchPods.RUN_LABEL));
        }
    }

    @Test
    void aForbiddenCreateNamesTheRoleItNeeds() throws Exception {
        api.refuse("POST", LWS, 403, "Forbidden", "leaderworkersets.leaderworkerset.x-k8s.io is forbidden: User"
                + " \"system:serviceaccount:preflight:preflight-coordinator\" cannot create resource \"leaderworkersets\""
                + " in API group \"leaderworkerset.x-k8s.io\" in the namespace \"preflight\"");
        IOException refused = assertThrows(IOException.class,
                () -> BenchPods.create(client, BenchPods.read(TEMPLATE), "run-10", lines::add));
        assertEquals("creating LeaderWorkerSet preflight/preflight-bench: HTTP 403 leaderworkersets.leaderworkerset.x-k8s.io"
                + " is forbidden: User \"system:serviceaccount:preflight:preflight-coordinator\" cannot create resource"
                + " \"leaderworkersets\" in API group \"leaderworkerset.x-k8s.io\" in the namespace \"preflight\"; the"
                + " coordinator's service account needs create/delete on LeaderWorkerSet and list/watch on pods"
                + " (deploy/kubernetes/rbac.yaml)", refused.getMessage());
    }

    @Test
    void aJobTemplateCountsItsParallelismAndFindsTheAgentsPort() throws IOException {
        Path job = dir.resolve("job.yaml");
        Files.writeString(job, String.join("\n",
                "apiVersion: batch/v1",
                "kind: Job",
                "metadata:",
                "  name: preflight-bench",
                "spec:",
                "  parallelism: 4",
                "  completions: 4",
                "  completionMode: Indexed",
                "  template:",
                "    spec:",
                "      restartPolicy: Never",
                "      containers:",
                "        - name: workload",
                "          image: inference-image:tag",
                "          command: [\"/preflight/openjdk/bin/java\", \"-jar\", \"/preflight/preflight/preflight.jar\"]",
                "          args: [\"agent\", \"--listen\", \"0.0.0.0:7746\", \"--insecure\"]",
                ""));
        BenchPods.Template template = BenchPods.read(job);
        assertEquals(4, template.pods());
        assertEquals(7746, template.port());
        assertEquals("", template.namespace(), "the coordinator's own namespace then");
    }

    @Test
    void badTemplatesAreOneLineNamingTheFileAndTheField() throws IOException {
        assertEquals("--bench-pods " + file("kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}\n")
                        + ": kind: apps/v1 Deployment, expected a LeaderWorkerSet (leaderworkerset.x-k8s.io/v1) or a Job"
                        + " (batch/v1)",
                error("kind: Deployment\napiVersion: apps/v1\nmetadata: {name: x}\n"));
        assertEquals("--bench-pods " + file("") + ": 0 document(s), expected exactly one: the LeaderWorkerSet or Job"
                + " to create", error(""));
        String noAgent = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: bench}\nspec:\n  template:\n    spec:\n"
                + "      containers: [{name: w, image: i, args: [serve]}]\n";
        assertEquals("--bench-pods " + file(noAgent) + ": spec.template.spec.containers: no container running 'agent"
                + " --listen HOST:PORT', expected the preflight agent in the workload's shape", error(noAgent));
        String badSize = "apiVersion: leaderworkerset.x-k8s.io/v1\nkind: LeaderWorkerSet\nmetadata: {name: bench}\n"
                + "spec:\n  leaderWorkerTemplate:\n    size: two\n";
        assertEquals("--bench-pods " + file(badSize) + ": spec.leaderWorkerTemplate.size: \"two\", expected a whole number"
                + " from 1 to 65536", error(badSize));
        String badName = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: Bench_1}\n";
        assertEquals("--bench-pods " + file(badName) + ": metadata.name: 'Bench_1', expected a DNS label: lower-case"
                + " letters, digits and '-', at most 63", error(badName));
        assertTrue(error("a: [").startsWith("--bench-pods " + file("a: [") + ": not YAML ("), error("a: ["));
    }

    private Path file(String content) {
        return dir.resolve("t" + Integer.toHexString(content.hashCode()) + ".yaml");
    }

    private String error(String content) throws IOException {
        Path file = file(content);
        Files.writeString(file, content);
        return assertThrows(IllegalArgumentException.class, () -> BenchPods.read(file)).getMessage();
    }
}
