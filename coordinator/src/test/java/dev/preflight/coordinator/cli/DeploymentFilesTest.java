package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.preflight.coordinator.discovery.BenchPods;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The deployment files cannot drift from the CLI: every manifest parses, every preflight command
 * line in the manifests and the Slurm script is accepted by the real picocli parser, and the
 * DaemonSet and Job keep the shape the README promises.
 */
class DeploymentFilesTest {
    private static final Path ROOT = Paths.get(System.getProperty("basedir", ".")).toAbsolutePath().getParent();
    private static final Path KUBERNETES = ROOT.resolve("deploy/kubernetes");
    /** Values for the Slurm script's variables; a variable missing here fails the test, not silently passes. */
    private static final Map<String, String> SLURM_VARIABLES = Map.of("PREFLIGHT", "preflight", "PORT", "7744",
            "SLURMD_NODENAME", "gpu-01", "TLS_DIR", "/etc/preflight", "OUT", "preflight-42",
            "SERVER_NAME", "preflight-agent", "extra", "--drain-failed");

    private static List<Map<String, Object>> documents(Path file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Yaml().loadAll(Files.readString(file))) {
            assertTrue(document instanceof Map, file + ": every document is a mapping");
            @SuppressWarnings("unchecked")
            Map<String, Object> resource = (Map<String, Object>) document;
            assertNotNull(resource.get("apiVersion"), file + ": apiVersion");
            assertNotNull(resource.get("kind"), file + ": kind");
            assertNotNull(((Map<?, ?>) resource.get("metadata")).get("name"), file + ": metadata.name");
            documents.add(resource);
        }
        return documents;
    }

    private static List<Path> manifests() throws IOException {
        try (Stream<Path> files = Files.list(KUBERNETES)) {
            return files.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** Every container anywhere in a resource (pod templates nest at different depths). */
    private static void containers(Object node, List<Map<?, ?>> found) {
        if (node instanceof Map) {
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) node).entrySet()) {
                if ((entry.getKey().equals("containers") || entry.getKey().equals("initContainers"))
                        && entry.getValue() instanceof List) {
                    for (Object container : (List<?>) entry.getValue()) {
                        found.add((Map<?, ?>) container);
                    }
                } else {
                    containers(entry.getValue(), found);
                }
            }
        } else if (node instanceof List) {
            for (Object item : (List<?>) node) {
                containers(item, found);
            }
        }
    }

    /** The preflight arguments of a container: its args after the image's entrypoint or an explicit java -jar. */
    private static List<String> preflightArguments(Map<?, ?> container) {
        List<?> command = (List<?>) container.get("command");
        List<?> args = (List<?>) container.get("args");
        boolean preflightImage = String.valueOf(container.get("image")).startsWith("preflight:");
        boolean runsTheJar = command != null && command.stream().anyMatch(word -> word.toString().endsWith("preflight.jar"));
        if ((command == null && preflightImage) || runsTheJar) {
            return args == null ? List.of() : args.stream().map(Object::toString).toList();
        }
        return null;
    }

    private static ParseResult parse(List<String> arguments, String where) {
        try {
            return new CommandLine(new Main()).parseArgs(arguments.toArray(new String[0]));
        } catch (CommandLine.ParameterException e) {
            fail(where + ": " + String.join(" ", arguments) + " is refused by the CLI: " + e.getMessage());
            return null;
        }
    }

    @Test
    void everyManifestParsesAndEveryCommandLineIsAcceptedByTheCli() throws IOException {
        List<String> parsed = new ArrayList<>();
        for (Path file : manifests()) {
            for (Map<String, Object> resource : documents(file)) {
                List<Map<?, ?>> found = new ArrayList<>();
                containers(resource, found);
                for (Map<?, ?> container : found) {
                    List<String> arguments = preflightArguments(container);
                    if (arguments == null) {
                        continue;
                    }
                    String where = file.getFileName() + " " + resource.get("kind") + " container " + container.get("name");
                    ParseResult result = parse(arguments, where);
                    assertTrue(result.hasSubcommand(), where + ": names a subcommand");
                    parsed.add(file.getFileName() + ":" + result.subcommand().commandSpec().name());
                }
            }
        }
        assertEquals(List.of("agent-daemonset.yaml:agent", "bench-lws.yaml:agent", "coordinator-job.yaml:run"),
                parsed.stream().sorted().toList());
    }

    @Test
    void theBenchTemplateIsWhatTheCoordinatorJobCreates() throws IOException {
        BenchPods.Template template = BenchPods.read(KUBERNETES.resolve("bench-lws.yaml"));
        assertEquals("LeaderWorkerSet", template.kind());
        assertEquals("preflight-bench", template.name());
        assertEquals(2, template.pods(), "replicas 1 x size 2");
        assertEquals(7745, template.port(), "beside the DaemonSet agent's 7744 on the host network");
        String job = Files.readString(KUBERNETES.resolve("coordinator-job.yaml"));
        assertTrue(job.contains("--bench-pods=/etc/preflight/bench/" + template.file().getFileName()), job);
        assertTrue(job.contains("name: preflight-bench-template"), job);
    }

    @Test
    void everyCommandLineOfTheSlurmScriptIsAcceptedByTheCli() throws IOException {
        String script = Files.readString(ROOT.resolve("deploy/slurm/preflight.sbatch")).replace("\\\n", " ");
        Matcher invocation = Pattern.compile("\"\\$PREFLIGHT\" ((agent|run) [^'&|\\n]*)").matcher(script);
        List<String> parsed = new ArrayList<>();
        while (invocation.find()) {
            List<String> arguments = shellWords(invocation.group(1).strip());
            parse(arguments, "preflight.sbatch");
            parsed.add(arguments.get(0) + (arguments.contains("--tls-ca") || arguments.contains("--tls-cert") ? "+tls" : ""));
        }
        assertEquals(List.of("agent", "agent+tls", "run", "run+tls"), parsed.stream().sorted().toList());
    }

    /** Splits like the shell: double quotes group, $VAR, ${VAR} and ${ARRAY[@]} expand from {@link #SLURM_VARIABLES}. */
    private static List<String> shellWords(String line) {
        // ${name[@]} is an array: its words stand for it, as here its one flag
        Matcher variable = Pattern.compile("\\$\\{?([A-Za-z_][A-Za-z0-9_]*)(\\[@])?}?").matcher(line);
        StringBuilder expanded = new StringBuilder();
        while (variable.find()) {
            String value = SLURM_VARIABLES.get(variable.group(1));
            assertNotNull(value, "preflight.sbatch uses $" + variable.group(1) + ": give it a value in this test");
            variable.appendReplacement(expanded, Matcher.quoteReplacement(value));
        }
        variable.appendTail(expanded);
        List<String> words = new ArrayList<>();
        Matcher word = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(expanded);
        while (word.find()) {
            words.add(word.group(1) != null ? word.group(1) : word.group(2));
        }
        return words;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    @Test
    void theDaemonSetHasTheShapeAGpuNodeAgentNeeds() throws IOException {
        Map<String, Object> daemonSet = documents(KUBERNETES.resolve("agent-daemonset.yaml")).get(0);
        Map<String, Object> pod = map(map(map(daemonSet.get("spec")).get("template")).get("spec"));
        assertEquals("nvidia", pod.get("runtimeClassName"));
        assertEquals(true, pod.get("hostNetwork"));
        assertTrue(list(pod.get("tolerations")).stream().anyMatch(t -> "nvidia.com/gpu".equals(map(t).get("key"))));
        Map<String, Object> agent = map(list(pod.get("containers")).get(0));
        assertFalse(String.valueOf(agent.get("resources")).contains("nvidia.com/gpu"), "requests no GPU");
        Map<String, Object> security = map(agent.get("securityContext"));
        assertEquals(0, security.get("runAsUser"));
        assertEquals(List.of("IPC_LOCK"), map(security.get("capabilities")).get("add"));
        String env = String.valueOf(agent.get("env"));
        assertFalse(env.contains("NVIDIA_VISIBLE_DEVICES"), "no GPUs by a bare variable: " + env);
        assertEquals("management.nvidia.com/gpu=all", map(map(map(map(daemonSet.get("spec")).get("template"))
                .get("metadata")).get("annotations")).get("cdi.k8s.io/preflight-agent"), "NVML through the CDI device");
        assertTrue(env.contains("name=NVIDIA_DRIVER_CAPABILITIES, value=compute,utility"), env);
        assertTrue(env.contains("fieldPath=spec.nodeName"), env);
        List<String> readOnlyHostViews = list(agent.get("volumeMounts")).stream().map(DeploymentFilesTest::map)
                .filter(mount -> Boolean.TRUE.equals(mount.get("readOnly")))
                .map(mount -> String.valueOf(mount.get("mountPath"))).filter(path -> path.startsWith("/host/")).toList();
        assertEquals(List.of("/host/proc", "/host/sys"), readOnlyHostViews);
        assertTrue(list(agent.get("args")).contains("--host-views"));
    }

    @Test
    void devicesComeThroughTheirPluginsNeverABareVariableOrHostPath() throws IOException {
        for (Path file : manifests()) {
            for (Map<String, Object> resource : documents(file)) {
                assertFalse(String.valueOf(resource).contains("path=/dev/infiniband"),
                        file + ": /dev/infiniband as a hostPath is refused by the device cgroup; request the RDMA resource");
                List<Map<?, ?>> found = new ArrayList<>();
                containers(resource, found);
                for (Map<?, ?> container : found) {
                    boolean requestsGpus = String.valueOf(container.get("resources")).contains("nvidia.com/gpu=");
                    assertFalse(!requestsGpus && String.valueOf(container.get("env")).contains("NVIDIA_VISIBLE_DEVICES"),
                            file + " container " + container.get("name") + ": NVIDIA_VISIBLE_DEVICES without a GPU request");
                }
            }
        }
        Map<String, Object> lws = documents(KUBERNETES.resolve("bench-lws.yaml")).get(0);
        List<Map<?, ?>> found = new ArrayList<>();
        containers(lws, found);
        Map<?, ?> limits = (Map<?, ?>) ((Map<?, ?>) found.stream().filter(c -> "workload".equals(c.get("name")))
                .findFirst().orElseThrow().get("resources")).get("limits");
        assertEquals(8, limits.get("nvidia.com/gpu"), "every GPU of a node");
        assertTrue(limits.keySet().stream().anyMatch(key -> key.toString().startsWith("rdma/")), "an RDMA resource: " + limits);
    }

    @Test
    void theCoordinatorJobMeasures() throws IOException {
        Map<String, Object> job = documents(KUBERNETES.resolve("coordinator-job.yaml")).get(0);
        List<Map<?, ?>> found = new ArrayList<>();
        containers(job, found);
        List<String> args = preflightArguments(found.get(0));
        assertTrue(args.contains("--profile=quick"), "a measuring profile: " + args);
        assertTrue(args.stream().anyMatch(arg -> arg.startsWith("--bench-pods=")), "on workload-shaped bench pods: " + args);
    }

    /**
     * Every manifest as fabric8's typed model reads it, with no field the model does not know: a
     * typo (imagePullPolicy misspelt, a field at the wrong depth) that kubectl would reject or, worse,
     * drop. Kinds outside the core API groups (LeaderWorkerSet, cert-manager's) are read generically;
     * the LeaderWorkerSet's pod templates are typed as the PodTemplateSpec they are.
     */
    @Test
    void everyManifestLoadsIntoTheTypedModelWithNoUnknownField() throws IOException {
        KubernetesSerialization serialization = new KubernetesSerialization();
        List<String> typed = new ArrayList<>();
        for (Path file : manifests()) {
            for (String document : Files.readString(file).split("(?m)^---$")) {
                if (document.lines().allMatch(line -> line.isBlank() || line.strip().startsWith("#"))) {
                    continue;
                }
                Object object = serialization.unmarshal(document);
                String where = file.getFileName() + " " + object.getClass().getSimpleName();
                if (object instanceof GenericKubernetesResource generic) {
                    if (generic.getKind().equals("LeaderWorkerSet")) {
                        Map<String, Object> workers = generic.get("spec", "leaderWorkerTemplate", "workerTemplate");
                        unknownFields(serialization.convertValue(workers, PodTemplateSpec.class), where + " workerTemplate");
                        typed.add(file.getFileName() + ":LeaderWorkerSet.workerTemplate");
                    } else {
                        assertTrue(generic.getApiVersion().startsWith("cert-manager.io/"), where + ": " + generic.getApiVersion()
                                + " " + generic.getKind() + " is not in the typed model");
                    }
                    continue;
                }
                unknownFields(object, where);
                typed.add(file.getFileName() + ":" + object.getClass().getSimpleName());
            }
        }
        assertTrue(typed.containsAll(List.of("agent-daemonset.yaml:DaemonSet", "coordinator-job.yaml:Job",
                "rbac.yaml:ClusterRole", "rbac.yaml:Role", "agent-service.yaml:Service",
                "bench-lws.yaml:LeaderWorkerSet.workerTemplate")), typed.toString());
        // the check itself: a misspelt field is found
        Object misspelt = serialization.unmarshal("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n"
                + "    - name: c\n      image: i\n      imagePullPolicey: Always\n");
        AssertionError caught = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> unknownFields(misspelt, "pod"));
        assertTrue(caught.getMessage().contains("imagePullPolicey"), caught.getMessage());
    }

    /** Fails naming the path of any field a model class took into its additionalProperties. */
    private static void unknownFields(Object object, String path) {
        if (object == null || object instanceof String || object instanceof Number || object instanceof Boolean
                || object instanceof Enum) {
            return;
        }
        if (object instanceof List<?> items) {
            for (int i = 0; i < items.size(); i++) {
                unknownFields(items.get(i), path + "[" + i + "]");
            }
            return;
        }
        if (object instanceof Map<?, ?> entries) {
            entries.forEach((key, value) -> unknownFields(value, path + "." + key));
            return;
        }
        if (!object.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (java.lang.reflect.Method getter : object.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object value;
            try {
                value = getter.invoke(object);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                Map<?, ?> unknown = (Map<?, ?>) value;
                if (unknown != null && !unknown.isEmpty()) {
                    fail(path + ": fields the typed model does not know: " + unknown.keySet());
                }
                continue;
            }
            String field = getter.getName().substring(3);
            unknownFields(value, path + "." + Character.toLowerCase(field.charAt(0)) + field.substring(1));
        }
    }

    @Test
    void theCoordinatorJobFailsAtOnceOnAnAnswerAndRetriesOnlyTheIncomplete() throws IOException {
        Map<String, Object> job = documents(KUBERNETES.resolve("coordinator-job.yaml")).get(0);
        Map<String, Object> spec = map(job.get("spec"));
        assertTrue(((Integer) spec.get("activeDeadlineSeconds")) > 0);
        List<Object> rules = list(map(spec.get("podFailurePolicy")).get("rules"));
        assertEquals(List.of(ExitCodes.NOT_VIABLE, ExitCodes.USAGE, ExitCodes.WARNINGS),
                map(map(rules.get(0)).get("onExitCodes")).get("values"));
        assertEquals("FailJob", map(rules.get(0)).get("action"));
        assertEquals(List.of(ExitCodes.INCOMPLETE), map(map(rules.get(2)).get("onExitCodes")).get("values"));
    }

    @Test
    void theImageRunsTheFatJarAsANonRootUser() throws IOException {
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        assertTrue(dockerfile.lines().filter(line -> line.startsWith("FROM ")).count() >= 2, "multi-stage");
        assertTrue(dockerfile.contains("COPY --from=build /src/coordinator/target/preflight.jar /opt/preflight/preflight.jar"));
        assertTrue(dockerfile.contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/preflight/preflight.jar\"]"));
        List<String> users = dockerfile.lines().filter(line -> line.startsWith("USER ")).toList();
        assertEquals(List.of("USER 1000:1000"), users);
        assertTrue(Files.readString(ROOT.resolve("coordinator/pom.xml"))
                .contains("<outputFile>${project.build.directory}/preflight.jar</outputFile>"));
    }
}
