package dev.preflight.coordinator.discovery;

import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.hostfs.BoundedFile;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import dev.preflight.agent.net.HostPort;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * Agents in pods shaped like the deployment, started by the coordinator for one run: a
 * LeaderWorkerSet or a Job from a template (the workload's securityContext, volumes, network,
 * NCCL environment and GPUs through the device plugin, optionally its own image with preflight
 * copied in), created through the Kubernetes API, watched until every pod is ready, called as
 * the run's agents with every pod's node expected to answer, and deleted when the run ends,
 * however it ends: the pods hold GPUs the deployment needs.
 */
public final class BenchPods implements AutoCloseable {
    /** Marks the object and its pods with the run, so the pods listed are this run's and no others. */
    public static final String RUN_LABEL = "preflight.dev/bench-run";
    /** How often the wait looks again without an event: it says "not ready after N s" on time. */
    static final Duration TICK = Duration.ofSeconds(2);
    /** The informer's full relist, a safety net under the watch. */
    static final Duration RESYNC = Duration.ofSeconds(30);
    /** A container waiting for one of these will not start by waiting longer. */
    static final Set<String> HOPELESS = Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName",
            "CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff", "RunContainerError");
    static final int MAX_TEMPLATE_BYTES = 1024 * 1024;
    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

    /**
     * A template read and checked.
     *
     * @param type its kind's API group, version and plural, so no discovery call (and no RBAC for one) is needed
     * @param pods how many pods it makes: LeaderWorkerSet replicas x size, a Job's parallelism
     * @param port the port every pod's agent listens on (its {@code --listen})
     */
    public record Template(Path file, String kind, String name, String namespace, ResourceDefinitionContext type,
            JsonObject object, int pods, int port) {}

    /** The pods at the end of the wait: the agents to call, and what kept the others. */
    public record Ready(List<DiscoveredAgent> agents, List<String> nodes, int expected, String notReady, String source) {}

    private final KubernetesClient client;
    private final Template template;
    private final String namespace;
    private final String run;
    private final Consumer<String> progress;
    private boolean deleted;

    private BenchPods(KubernetesClient client, Template template, String namespace, String run, Consumer<String> progress) {
        this.client = client;
        this.template = template;
        this.namespace = namespace;
        this.run = run;
        this.progress = progress;
    }

    /**
     * Reads a template: one YAML document, a LeaderWorkerSet (leaderworkerset.x-k8s.io/v1) or a
     * Job (batch/v1) whose pods run {@code preflight agent --listen HOST:PORT}.
     *
     * @throws IllegalArgumentException naming the file, the field and what was expected
     */
    public static Template read(Path file) {
        String text;
        try {
            text = BoundedFile.readText(file, new BoundedFile.Limits(MAX_TEMPLATE_BYTES, BoundedFile.USER.maxTime()));
        } catch (IOException e) {
            throw new IllegalArgumentException("--bench-pods: cannot read " + IoErrors.describe(e));
        }
        List<Object> documents = new ArrayList<>();
        try {
            new Load(LoadSettings.builder().setAllowDuplicateKeys(false).build()).loadAllFromString(text)
                    .forEach(document -> {
                        if (document != null) {
                            documents.add(document);
                        }
                    });
        } catch (YamlEngineException e) {
            throw new IllegalArgumentException("--bench-pods " + file + ": not YAML (" + e.getMessage().lines().findFirst()
                    .orElse("") + ")");
        }
        if (documents.size() != 1 || !(documents.get(0) instanceof Map)) {
            throw bad(file, "", documents.size() + " document(s)", "exactly one: the LeaderWorkerSet or Job to create");
        }
        JsonObject object = json(documents.get(0)).getAsJsonObject();
        String kind = string(file, object, "kind");
        String apiVersion = string(file, object, "apiVersion");
        ResourceDefinitionContext type;
        List<String> podTemplates = new ArrayList<>();
        int pods;
        if (kind.equals("LeaderWorkerSet") && apiVersion.equals("leaderworkerset.x-k8s.io/v1")) {
            type = type("leaderworkerset.x-k8s.io", "v1", kind, "leaderworkersets");
            int replicas = count(file, object, "spec.replicas");
            int size = count(file, object, "spec.leaderWorkerTemplate.size");
            pods = replicas * size;
            podTemplates.add("spec.leaderWorkerTemplate.workerTemplate");
            if (at(object, "spec.leaderWorkerTemplate.leaderTemplate") != null) {
                podTemplates.add("spec.leaderWorkerTemplate.leaderTemplate");
            }
        } else if (kind.equals("Job") && apiVersion.equals("batch/v1")) {
            type = type("batch", "v1", kind, "jobs");
            pods = count(file, object, "spec.parallelism");
            podTemplates.add("spec.template");
        } else {
            throw bad(file, "kind", apiVersion + " " + kind, "a LeaderWorkerSet (leaderworkerset.x-k8s.io/v1) or a Job (batch/v1)");
        }
        if (pods > SlurmNodelist.MAX_NODES) {
            throw bad(file, "spec", pods + " pods", "at most " + SlurmNodelist.MAX_NODES);
        }
        String name = string(file, object, "metadata.name");
        if (name.length() > 63 || !name.matches(DNS_LABEL)) {
            throw bad(file, "metadata.name", "'" + name + "'", "a DNS label: lower-case letters, digits and '-', at most 63");
        }
        JsonElement namespaceField = at(object, "metadata.namespace");
        String namespace = namespaceField == null ? "" : string(file, object, "metadata.namespace");
        if (!namespace.isEmpty() && (namespace.length() > 63 || !namespace.matches(DNS_LABEL))) {
            throw bad(file, "metadata.namespace", "'" + namespace + "'", "a DNS label");
        }
        int port = -1;
        for (String podTemplate : podTemplates) {
            JsonElement spec = at(object, podTemplate + ".spec");
            if (spec == null || !spec.isJsonObject()) {
                throw bad(file, podTemplate + ".spec", "missing", "a pod spec");
            }
            int listen = agentPort(file, podTemplate, spec.getAsJsonObject());
            if (port >= 0 && listen != port) {
                throw bad(file, podTemplate, "an agent on port " + listen, "the same port as the other template's (" + port + ")");
            }
            port = listen;
        }
        return new Template(file, kind, name, namespace, type, object, pods, port);
    }

    private static ResourceDefinitionContext type(String group, String version, String kind, String plural) {
        return new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version).withKind(kind)
                .withPlural(plural).withNamespaced(true).build();
    }

    /**
     * Creates the template's object, labelled with {@code run}, in its namespace (else the
     * coordinator's own).
     *
     * @throws IOException naming the HTTP status and the API server's message
     */
    public static BenchPods create(KubernetesClient client, Template template, String run, Consumer<String> progress)
            throws IOException {
        String namespace = template.namespace().isEmpty() ? KubernetesApi.namespace(client) : template.namespace();
        if (namespace.isEmpty()) {
            throw new IOException("--bench-pods " + template.file() + ": no metadata.namespace, and the service account"
                    + " names none");
        }
        JsonObject object = template.object().deepCopy();
        label(object, "metadata", run);
        if (template.kind().equals("Job")) {
            label(object, "spec.template.metadata", run);
        } else {
            label(object, "spec.leaderWorkerTemplate.workerTemplate.metadata", run);
            if (at(object, "spec.leaderWorkerTemplate.leaderTemplate") != null) {
                label(object, "spec.leaderWorkerTemplate.leaderTemplate.metadata", run);
            }
        }
        BenchPods pods = new BenchPods(client, template, namespace, run, progress);
        GenericKubernetesResource resource = client.getKubernetesSerialization().unmarshal(object.toString(),
                GenericKubernetesResource.class);
        try {
            client.genericKubernetesResources(template.type()).inNamespace(namespace).resource(resource).create();
        } catch (KubernetesClientException e) {
            throw new IOException("creating " + pods.describe() + ": " + KubernetesApi.describe(e)
                    + (e.getCode() == 409 ? "; a bench group of that name exists (a run still going, or one that"
                            + " could not clean up): kubectl -n " + namespace + " delete " + template.kind().toLowerCase()
                            + " " + template.name() : "")
                    + (KubernetesApi.denied(e) ? "; the coordinator's service account needs create/delete on "
                            + template.kind() + " and list/watch on pods (deploy/kubernetes/rbac.yaml)" : ""));
        }
        progress.accept("bench pods: created " + pods.describe() + " (" + template.pods() + " pod(s), run " + run + ")");
        return pods;
    }

    /**
     * Watches the run's pods until every one is ready, one cannot start (an image that does not
     * pull, a crashing container), or {@code timeout} passes; says what changed as it goes.
     *
     * @throws IOException when the pods cannot be listed or watched
     */
    public Ready await(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Semaphore changed = new Semaphore(0);
        ResourceEventHandler<Pod> wake = new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                changed.release();
            }

            @Override
            public void onUpdate(Pod before, Pod after) {
                changed.release();
            }

            @Override
            public void onDelete(Pod pod, boolean finalStateUnknown) {
                changed.release();
            }
        };
        SharedIndexInformer<Pod> informer;
        try {
            informer = client.pods().inNamespace(namespace).withLabel(RUN_LABEL, run).inform(wake, RESYNC.toMillis());
        } catch (KubernetesClientException e) {
            throw listingFailed(e);
        }
        try (informer) {
            String said = "";
            while (true) {
                if (informer.stopped().toCompletableFuture().isDone()) {
                    try {
                        informer.stopped().toCompletableFuture().join();
                        throw new IOException("watching the bench pods: the watch ended");
                    } catch (CompletionException e) {
                        throw e.getCause() instanceof KubernetesClientException k ? listingFailed(k)
                                : new IOException("watching the bench pods: " + e.getCause().getMessage());
                    }
                }
                List<PodState> pods = informer.getStore().list().stream().map(BenchPods::pod)
                        .sorted(java.util.Comparator.comparing(PodState::name)).toList();
                List<PodState> ready = pods.stream().filter(PodState::ready).toList();
                List<String> waiting = new ArrayList<>();
                String hopeless = null;
                for (PodState pod : pods) {
                    if (!pod.ready()) {
                        waiting.add(pod.name() + " " + pod.state());
                        if (pod.hopeless()) {
                            hopeless = pod.name() + " cannot start: " + pod.state();
                        }
                    }
                }
                String status = ready.size() + "/" + template.pods() + " ready" + (waiting.isEmpty() ? ""
                        : "; " + String.join("; ", waiting.subList(0, Math.min(3, waiting.size())))
                                + (waiting.size() > 3 ? "; " + (waiting.size() - 3) + " more" : ""));
                if (!status.equals(said)) {
                    progress.accept("bench pods: " + status);
                    said = status;
                }
                long left = deadline - System.nanoTime();
                if (ready.size() >= template.pods() || hopeless != null || left <= 0) {
                    String notReady = ready.size() >= template.pods() ? ""
                            : hopeless != null ? hopeless
                            : (template.pods() - ready.size()) + " of " + template.pods() + " pod(s) not ready after "
                                    + timeout.toSeconds() + " s" + (waiting.isEmpty() ? "" : ": " + String.join("; ", waiting));
                    List<DiscoveredAgent> agents = new ArrayList<>();
                    List<String> nodes = new ArrayList<>();
                    for (PodState pod : ready) {
                        agents.add(new DiscoveredAgent(new HostPort(pod.ip(), template.port()), "bench pod " + pod.name()));
                        nodes.add(pod.node());
                    }
                    return new Ready(agents, nodes, template.pods(), notReady, "bench pods " + describe());
                }
                changed.tryAcquire(Math.min(left, TICK.toNanos()), TimeUnit.NANOSECONDS);
                changed.drainPermits();
            }
        }
    }

    private static IOException listingFailed(KubernetesClientException e) {
        return new IOException("listing the bench pods: " + KubernetesApi.describe(e) + (KubernetesApi.denied(e)
                ? "; the coordinator's service account needs list/watch on pods (deploy/kubernetes/rbac.yaml)" : ""));
    }

    /** Deletes the object (its pods go with it); says so, and how to do it by hand, when that fails. */
    @Override
    public synchronized void close() {
        if (deleted) {
            return;
        }
        deleted = true;
        String by = "kubectl -n " + namespace + " delete " + template.kind().toLowerCase() + " " + template.name();
        try {
            client.genericKubernetesResources(template.type()).inNamespace(namespace).withName(template.name())
                    .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
            progress.accept("bench pods: deleted " + describe());
        } catch (KubernetesClientException e) {
            progress.accept("bench pods: could not delete " + describe() + ": " + KubernetesApi.describe(e)
                    + "; its pods hold GPUs: " + by);
        }
    }

    private String describe() {
        return template.kind() + " " + namespace + "/" + template.name();
    }

    /** One pod as the wait sees it. */
    private record PodState(String name, String node, String ip, boolean ready, boolean hopeless, String state) {}

    private static PodState pod(Pod pod) {
        String name = Objects.toString(pod.getMetadata().getName(), "");
        String node = pod.getSpec() == null ? "" : Objects.toString(pod.getSpec().getNodeName(), "");
        String phase = "";
        String ip = "";
        boolean ready = false;
        String why = "";
        boolean hopeless = false;
        if (pod.getStatus() != null) {
            phase = Objects.toString(pod.getStatus().getPhase(), "");
            ip = Objects.toString(pod.getStatus().getPodIP(), "");
            for (PodCondition condition : pod.getStatus().getConditions()) {
                boolean isTrue = "True".equals(condition.getStatus());
                if ("Ready".equals(condition.getType())) {
                    ready = isTrue;
                } else if ("PodScheduled".equals(condition.getType()) && !isTrue) {
                    why = Objects.toString(condition.getReason(), "") + ": " + Objects.toString(condition.getMessage(), "");
                }
            }
            hopeless = phase.equals("Failed") || phase.equals("Succeeded");
            List<ContainerStatus> statuses = new ArrayList<>(pod.getStatus().getInitContainerStatuses());
            statuses.addAll(pod.getStatus().getContainerStatuses());
            for (ContainerStatus status : statuses) {
                if (status.getState() != null && status.getState().getWaiting() != null
                        && HOPELESS.contains(status.getState().getWaiting().getReason())) {
                    hopeless = true;
                    why = status.getName() + " " + status.getState().getWaiting().getReason() + ": "
                            + Objects.toString(status.getState().getWaiting().getMessage(), "");
                }
            }
        }
        boolean terminating = pod.getMetadata().getDeletionTimestamp() != null;
        String state = phase.isEmpty() ? "Pending" : phase;
        if (!why.isEmpty()) {
            state += " (" + why + ")";
        } else if (!node.isEmpty()) {
            state += " on " + node;
        }
        return new PodState(name, node, ip, ready && !terminating && !ip.isEmpty() && !hopeless, hopeless, state);
    }

    /** The agent's port in a pod spec: the {@code --listen} of the container that runs {@code agent}. */
    private static int agentPort(Path file, String where, JsonObject spec) {
        JsonElement containers = spec.get("containers");
        if (containers != null && containers.isJsonArray()) {
            for (JsonElement container : containers.getAsJsonArray()) {
                List<String> words = new ArrayList<>();
                for (String field : List.of("command", "args")) {
                    JsonElement list = container.getAsJsonObject().get(field);
                    if (list != null && list.isJsonArray()) {
                        list.getAsJsonArray().forEach(word -> words.add(text(word)));
                    }
                }
                if (!words.contains("agent")) {
                    continue;
                }
                for (int i = 0; i < words.size(); i++) {
                    String listen = words.get(i).startsWith("--listen=") ? words.get(i).substring("--listen=".length())
                            : words.get(i).equals("--listen") && i + 1 < words.size() ? words.get(i + 1) : null;
                    if (listen != null) {
                        try {
                            return HostPort.parse(listen, false).port();
                        } catch (IllegalArgumentException e) {
                            throw bad(file, where + ".spec.containers", "--listen " + listen, "HOST:PORT (" + e.getMessage() + ")");
                        }
                    }
                }
            }
        }
        throw bad(file, where + ".spec.containers", "no container running 'agent --listen HOST:PORT'",
                "the preflight agent in the workload's shape");
    }

    private static void label(JsonObject object, String metadataPath, String run) {
        JsonObject target = object;
        for (String part : metadataPath.split("\\.")) {
            JsonElement next = target.get(part);
            if (next == null || !next.isJsonObject()) {
                next = new JsonObject();
                target.add(part, next);
            }
            target = next.getAsJsonObject();
        }
        JsonElement labels = target.get("labels");
        if (labels == null || !labels.isJsonObject()) {
            labels = new JsonObject();
            target.add("labels", labels);
        }
        labels.getAsJsonObject().addProperty(RUN_LABEL, run);
    }

    /** The element at a dotted path, or null where any step is absent. */
    static JsonElement at(JsonObject object, String path) {
        JsonElement current = object;
        for (String part : path.split("\\.")) {
            if (current == null || !current.isJsonObject()) {
                return null;
            }
            current = current.getAsJsonObject().get(part);
        }
        return current == null || current.isJsonNull() ? null : current;
    }

    private static String text(JsonElement element) {
        return element == null || element.isJsonNull() || !element.isJsonPrimitive() ? "" : element.getAsString();
    }

    private static String string(Path file, JsonObject object, String path) {
        JsonElement value = at(object, path);
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()
                || value.getAsString().isBlank()) {
            throw bad(file, path, value == null ? "missing" : value.toString(), "a string");
        }
        return value.getAsString();
    }

    /** A count field: absent means 1, as the API defaults it. */
    private static int count(Path file, JsonObject object, String path) {
        JsonElement value = at(object, path);
        if (value == null) {
            return 1;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isNumber() || value.getAsDouble() != value.getAsLong()
                || value.getAsLong() < 1 || value.getAsLong() > SlurmNodelist.MAX_NODES) {
            throw bad(file, path, value.toString(), "a whole number from 1 to " + SlurmNodelist.MAX_NODES);
        }
        return value.getAsInt();
    }

    private static IllegalArgumentException bad(Path file, String field, String value, String expected) {
        return new IllegalArgumentException("--bench-pods " + file + (field.isEmpty() ? "" : ": " + field) + ": " + value
                + ", expected " + expected);
    }

    /** YAML's maps, lists and scalars as JSON, which is what the API takes. */
    private static JsonElement json(Object yaml) {
        if (yaml == null) {
            return JsonNull.INSTANCE;
        }
        if (yaml instanceof Map<?, ?> map) {
            JsonObject object = new JsonObject();
            for (Map.Entry<?, ?> entry : new LinkedHashMap<>(map).entrySet()) {
                object.add(String.valueOf(entry.getKey()), json(entry.getValue()));
            }
            return object;
        }
        if (yaml instanceof List<?> list) {
            JsonArray array = new JsonArray();
            list.forEach(item -> array.add(json(item)));
            return array;
        }
        if (yaml instanceof Boolean bool) {
            return new JsonPrimitive(bool);
        }
        if (yaml instanceof Number number) {
            return new JsonPrimitive(number);
        }
        return new JsonPrimitive(String.valueOf(yaml));
    }
}
