package dev.preflight.coordinator.cli;

import dev.preflight.coordinator.discovery.Discovery;
import dev.preflight.coordinator.discovery.KubernetesNodes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Where the agents are and which nodes must answer. */
public final class DiscoveryOptions {
    static final int DEFAULT_AGENT_PORT = 7744;

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

    Discovery.Plan plan() throws InterruptedException {
        if (agentPort < 1 || agentPort > 65535) {
            throw new ParameterException(spec.commandLine(), "--agent-port " + agentPort + ": expected 1-65535");
        }
        try {
            return Discovery.plan(new Discovery.Sources(agents, hostfile, slurmNodelist, slurm, k8sNodes, expectNodes,
                    agentPort), System.getenv(),
                    () -> KubernetesNodes.inCluster(System.getenv(), KubernetesNodes.SERVICE_ACCOUNT)::list);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
