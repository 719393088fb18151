package dev.preflight.coordinator.cli;

import dev.preflight.coordinator.discovery.BenchPods;
import dev.preflight.coordinator.discovery.Discovery;
import dev.preflight.coordinator.discovery.KubernetesApi;
import dev.preflight.coordinator.discovery.KubernetesNodes;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Where the agents are and which nodes must answer. */
public final class DiscoveryOptions {
    static final int DEFAULT_AGENT_PORT = 7744;
    /** A service-account directory other than the standard mount (a projected token, or a coordinator outside a pod). */
    static final String SERVICE_ACCOUNT_ENV = "PREFLIGHT_K8S_SERVICE_ACCOUNT";

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--agents", paramLabel = "HOST:PORT|dns:///NAME:PORT", split = ",",
            description = {"Remote agents, comma-separated: node1:7744,node2:7744, or dns:///NAME:PORT for every address"
                    + " of a name (a headless Service; needs --expect-nodes or --k8s-nodes).",
                    "Default: an embedded agent for this node."})
    List<String> agents = new ArrayList<>();

    @Option(names = "--hostfile", paramLabel = "FILE",
            description = "Agents from a hostfile: HOST[:PORT] per line (slots=N words ignored); all of them must answer.")
    Path hostfile;

    @Option(names = "--slurm-nodelist", paramLabel = "NODELIST",
            description = "Agents on these nodes, in Slurm's syntax (gpu-[01-04,07]); all of them must answer.")
    String slurmNodelist;

    @Option(names = "--slurm", description = "As --slurm-nodelist with the allocation's $" + Discovery.SLURM_NODELIST_ENV + ".")
    boolean slurm;

    @Option(names = "--agent-port", paramLabel = "PORT", defaultValue = "" + DEFAULT_AGENT_PORT,
            description = "The agents' port where --hostfile or a nodelist gives none (default: ${DEFAULT-VALUE}).")
    int agentPort;

    @Option(names = "--k8s-nodes", paramLabel = "LABEL_SELECTOR",
            description = "Nodes that must answer: the Kubernetes nodes matching this selector (e.g."
                    + " nvidia.com/gpu.present=true), listed with the pod's service account.")
    String k8sNodes;

    @Option(names = "--expect-nodes", paramLabel = "N|NAMES",
            description = "Nodes that must answer: a count, or names (gpu-01,gpu-02 or gpu-[01-04]). A node expected and"
                    + " not answering is a FAIL naming it.")
    String expectNodes;

    @Option(names = "--bench-pods", paramLabel = "FILE",
            description = {"Agents in pods shaped like the deployment, for this run only: a LeaderWorkerSet or Job"
                    + " (deploy/kubernetes/bench-lws.yaml) created with the pod's service account, waited on until"
                    + " every pod is ready, and deleted when the run ends. Every pod must answer.",
                    "Takes the place of --agents, --hostfile, --slurm*, --k8s-nodes and --expect-nodes."})
    Path benchPods;

    @Option(names = "--bench-pods-timeout", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.class,
            description = "How long the bench pods may take to be scheduled, pull their image and start, 10s-2h"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration benchPodsTimeout;

    /** The bench-pod template, read and checked before anything is created; empty without --bench-pods. */
    Optional<BenchPods.Template> benchPods() {
        if (benchPods == null) {
            return Optional.empty();
        }
        if (!agents.isEmpty() || hostfile != null || slurmNodelist != null || slurm || k8sNodes != null
                || expectNodes != null) {
            throw new ParameterException(spec.commandLine(), "--bench-pods brings its own agents and expects every pod"
                    + " to answer: leave out --agents, --hostfile, --slurm-nodelist, --slurm, --k8s-nodes and --expect-nodes");
        }
        if (benchPodsTimeout.compareTo(Duration.ofSeconds(10)) < 0 || benchPodsTimeout.compareTo(Duration.ofHours(2)) > 0) {
            throw new ParameterException(spec.commandLine(), "--bench-pods-timeout " + benchPodsTimeout.toSeconds()
                    + " s: expected 10s-2h");
        }
        try {
            return Optional.of(BenchPods.read(benchPods));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /**
     * The Kubernetes API: in a pod with the service account of {@value #SERVICE_ACCOUNT_ENV} where it
     * is set, else the standard mount; outside a pod with the kubeconfig.
     */
    static KubernetesClient kubernetes(String flag) throws IOException {
        String dir = System.getenv(SERVICE_ACCOUNT_ENV);
        return KubernetesApi.connect(System.getenv(), dir == null || dir.isBlank() ? KubernetesApi.SERVICE_ACCOUNT
                : Path.of(dir), flag);
    }

    Discovery.Plan plan() throws InterruptedException {
        if (agentPort < 1 || agentPort > 65535) {
            throw new ParameterException(spec.commandLine(), "--agent-port " + agentPort + ": expected 1-65535");
        }
        try {
            return Discovery.plan(new Discovery.Sources(agents, hostfile, slurmNodelist, slurm, k8sNodes, expectNodes,
                    agentPort), System.getenv(),
                    () -> selector -> {
                        try (KubernetesClient client = kubernetes("--k8s-nodes")) {
                            return new KubernetesNodes(client).list(selector);
                        }
                    });
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
