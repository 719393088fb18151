package dev.preflight.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.preflight.proto.v1.CheckResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench group's life against a fake API server: created labelled, waited on, deleted. */
class BenchPodsTest {
    private static final Path TEMPLATE = Paths.get(System.getProperty("basedir", ".")).toAbsolutePath().getParent()
            .resolve("deploy/kubernetes/bench-lws.yaml");
    private static final String LWS = "/apis/leaderworkerset.x-k8s.io/v1/namespaces/preflight/leaderworkersets";

    @TempDir
    Path dir;
    private FakeKubeApi api;
    private final List<String> lines = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        api = FakeKubeApi.start(dir);
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void theGroupIsCreatedLabelledWaitedOnUntilEveryPodIsReadyAndDeleted() throws Exception {
        api.pods(FakeKubeApi.podList(FakeKubeApi.unschedulablePod("preflight-bench-0"), FakeKubeApi.unschedulablePod(
                        "preflight-bench-0-1")),
                FakeKubeApi.podList(FakeKubeApi.runningPod("preflight-bench-0", "gpu-01", "10.0.3.11"),
                        FakeKubeApi.runningPod("preflight-bench-0-1", "gpu-02", "10.0.3.12")));
        BenchPods.Template template = BenchPods.read(TEMPLATE);
        BenchPods.Ready ready;
        try (BenchPods pods = BenchPods.create(api.client(), template, "run-42", lines::add)) {
            ready = pods.await(Duration.ofSeconds(30));
        }
        assertEquals(List.of("10.0.3.11:7745", "10.0.3.12:7745"),
                ready.agents().stream().map(agent -> agent.address().toString()).toList());
        assertEquals(List.of("gpu-01", "gpu-02"), ready.nodes());
        assertEquals("", ready.notReady());
        assertEquals(List.of("POST " + LWS,
                "GET /api/v1/namespaces/preflight/pods?labelSelector=preflight.dev/bench-run=run-42",
                "GET /api/v1/namespaces/preflight/pods?labelSelector=preflight.dev/bench-run=run-42",
                "DELETE " + LWS + "/preflight-bench?propagationPolicy=Background"), api.requests);

        JsonObject created = JsonParser.parseString(api.created.get(0)).getAsJsonObject();
        assertEquals("run-42", BenchPods.at(created, "metadata.labels").getAsJsonObject()
                .get(BenchPods.RUN_LABEL).getAsString());
        assertEquals("run-42", BenchPods.at(created, "spec.leaderWorkerTemplate.workerTemplate.metadata.labels")
                .getAsJsonObject().get(BenchPods.RUN_LABEL).getAsString(), "the pods carry the run, so they can be listed");
        assertEquals(2, BenchPods.at(created, "spec.leaderWorkerTemplate.size").getAsInt(), "the template as written");

        assertEquals("bench pods: created LeaderWorkerSet preflight/preflight-bench (2 pod(s), run run-42)", lines.get(0));
        assertTrue(lines.get(1).startsWith("bench pods: 0/2 ready; preflight-bench-0 Pending (Unschedulable: 0/4 nodes are"
                + " available: 4 Insufficient nvidia.com/gpu."), lines.get(1));
        assertEquals("bench pods: 2/2 ready", lines.get(2));
        assertEquals("bench pods: deleted LeaderWorkerSet preflight/preflight-bench", lines.get(3));
    }

    @Test
    void aPodWhoseImageDoesNotPullEndsTheWaitAtOnceAndNamesWhy() throws Exception {
        api.pods(FakeKubeApi.podList(FakeKubeApi.runningPod("preflight-bench-0", "gpu-01", "10.0.3.11"),
                FakeKubeApi.imagePullBackOffPod("preflight-bench-0-1", "gpu-02")));
        long started = System.nanoTime();
        BenchPods.Ready ready;
        try (BenchPods pods = BenchPods.create(api.client(), BenchPods.read(TEMPLATE), "run-7", lines::add)) {
            ready = pods.await(Duration.ofMinutes(10));
        }
        assertTrue(System.nanoTime() - started < Duration.ofSeconds(20).toNanos(), "did not wait out the timeout");
        assertEquals("preflight-bench-0-1 cannot start: Pending (workload ImagePullBackOff: Back-off pulling image"
                + " \"inference-image:tag\")", ready.notReady());
        assertEquals(List.of("gpu-01"), ready.nodes());
        assertEquals(1, api.deletes().size(), api.toString());

        // the plan expects both pods' nodes: the missing one is a FAIL that says why
        CheckResult check = Discovery.of(ready).expected().judge(List.of());
        assertEquals(CheckResult.Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().endsWith("(bench pods LeaderWorkerSet preflight/preflight-bench: preflight-bench-0-1"
                + " cannot start: Pending (workload ImagePullBackOff: Back-off pulling image \"inference-image:tag\"))"),
                check.getSummary());
    }

    @Test
    void podsThatNeverScheduleAreNamedWhenTheWaitEnds() throws Exception {
        api.pods(FakeKubeApi.podList(FakeKubeApi.unschedulablePod("preflight-bench-0"),
                FakeKubeApi.unschedulablePod("preflight-bench-0-1")));
        BenchPods.Ready ready;
        try (BenchPods pods = BenchPods.create(api.client(), BenchPods.read(TEMPLATE), "run-8", lines::add)) {
            ready = pods.await(Duration.ofSeconds(3));
        }
        assertTrue(ready.agents().isEmpty());
        assertTrue(ready.notReady().startsWith("2 of 2 pod(s) not ready after 3 s: preflight-bench-0 Pending"
                + " (Unschedulable: 0/4 nodes are available"), ready.notReady());
        assertEquals(1, api.deletes().size());
        CheckResult check = Discovery.of(ready).expected().judge(List.of());
        assertEquals(CheckResult.Status.FAIL, check.getStatus());
        assertTrue(check.getSummary().startsWith("expected at least 2 node(s), 0 answered (bench pods"), check.getSummary());
    }

    @Test
    void aGroupLeftFromAnEarlierRunIsAConflictThatSaysHowToClearIt() throws Exception {
        api.refuseCreate(409, "AlreadyExists", "leaderworkersets.leaderworkerset.x-k8s.io \"preflight-bench\" already exists");
        IOException conflict = assertThrows(IOException.class,
                () -> BenchPods.create(api.client(), BenchPods.read(TEMPLATE), "run-9", lines::add));
        assertEquals("creating LeaderWorkerSet preflight/preflight-bench: HTTP 409 leaderworkersets.leaderworkerset.x-k8s.io"
                + " \"preflight-bench\" already exists; a bench group of that name exists (a run still going, or one that"
                + " could not clean up): kubectl -n preflight delete leaderworkerset preflight-bench", conflict.getMessage());
        assertTrue(api.deletes().isEmpty(), "not ours to delete");
    }

    @Test
    void aForbiddenCreateNamesTheRoleItNeeds() throws Exception {
        api.refuseCreate(403, "Forbidden", "leaderworkersets.leaderworkerset.x-k8s.io is forbidden: User"
                + " \"system:serviceaccount:preflight:preflight-coordinator\" cannot create resource \"leaderworkersets\"");
        IOException refused = assertThrows(IOException.class,
                () -> BenchPods.create(api.client(), BenchPods.read(TEMPLATE), "run-10", lines::add));
        assertTrue(refused.getMessage().endsWith("; the coordinator's service account needs create/delete on"
                + " LeaderWorkerSet and list on pods (deploy/kubernetes/rbac.yaml)"), refused.getMessage());
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
