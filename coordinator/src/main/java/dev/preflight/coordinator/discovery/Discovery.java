package dev.preflight.coordinator.discovery;

import dev.preflight.agent.net.HostPort;
import dev.preflight.proto.units.Numbers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns the discovery flags into the agents to call and the nodes that must answer. A source that
 * lists an allocation's nodes (a hostfile, a Slurm nodelist) also makes them expected, unless
 * {@code --expect-nodes} or {@code --k8s-nodes} names the expected set; a DNS name lists only what
 * is up, so it needs an expectation from one of those (or from a nodelist or hostfile). A plain
 * {@code --agents} list names agents to ask, not nodes that must exist: one that does not answer
 * leaves the run incomplete, unless an expectation covers it.
 */
public final class Discovery {
    public static final String SLURM_NODELIST_ENV = "SLURM_JOB_NODELIST";

    private Discovery() {}

    /** The flags as given; null or empty for those not given. */
    public record Sources(List<String> agents, Path hostfile, String slurmNodelist, boolean slurm, String k8sSelector,
            String expectNodes, int agentPort) {}

    /** Who to call and who must answer. No agents means the embedded one. */
    public record Plan(List<DiscoveredAgent> agents, ExpectedNodes expected) {
        public boolean embedded() {
            return agents.isEmpty() && expected.isEmpty();
        }
    }

    /** Lists Kubernetes nodes by label selector (the real one is {@link KubernetesNodes}). */
    public interface NodeLister {
        List<String> list(String selector) throws IOException, InterruptedException;
    }

    /** Makes a node lister; failing here (not in a pod) is reported like a failed listing. */
    public interface NodeListerFactory {
        NodeLister open() throws IOException;
    }

    /**
     * @throws IllegalArgumentException for a usage error, naming the flag and the value
     */
    public static Plan plan(Sources sources, Map<String, String> env, NodeListerFactory kubernetes)
            throws InterruptedException {
        ExpectedNodes expected = new ExpectedNodes();
        // nodes a listing source names: what must answer unless --expect-nodes or --k8s-nodes says otherwise
        Map<String, List<String>> listed = new LinkedHashMap<>();
        Map<HostPort, DiscoveredAgent> agents = new LinkedHashMap<>();
        boolean needsExpectation = false;
        for (String spec : sources.agents()) {
            if (DnsAgents.isDns(spec)) {
                HostPort name = DnsAgents.parse(spec);
                DnsAgents.Resolution resolution = DnsAgents.resolve(name);
                expected.evidence(spec, resolution.evidence());
                resolution.agents().forEach(agent -> agents.putIfAbsent(agent.address(), agent));
                needsExpectation = true;
            } else {
                HostPort address;
                try {
                    address = HostPort.parse(spec, false);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--agents: " + e.getMessage());
                }
                agents.putIfAbsent(address, new DiscoveredAgent(address, "--agents"));
            }
        }
        if (sources.hostfile() != null) {
            List<DiscoveredAgent> hosts;
            try {
                hosts = Hostfile.read(sources.hostfile(), sources.agentPort());
            } catch (IOException e) {
                throw new IllegalArgumentException("--hostfile " + sources.hostfile() + ": cannot read it ("
                        + e.getMessage() + ")");
            }
            hosts.forEach(agent -> agents.putIfAbsent(agent.address(), agent));
            listed.put("hostfile " + sources.hostfile(), hosts.stream().map(agent -> agent.address().host()).toList());
        }
        String nodelist = slurmNodelist(sources, env);
        if (nodelist != null) {
            List<String> nodes = SlurmNodelist.expand(nodelist);
            for (String node : nodes) {
                HostPort address = new HostPort(node, sources.agentPort());
                agents.putIfAbsent(address, new DiscoveredAgent(address, "slurm nodelist " + nodelist));
            }
            listed.put("slurm nodelist " + nodelist, nodes);
        }
        boolean remote = !agents.isEmpty() || needsExpectation;
        boolean explicitExpectation = sources.expectNodes() != null || sources.k8sSelector() != null;
        if (explicitExpectation && !remote) {
            throw new IllegalArgumentException("--expect-nodes and --k8s-nodes judge remote agents: give them with"
                    + " --agents, --hostfile, --slurm-nodelist or --slurm");
        }
        if (needsExpectation && !explicitExpectation && nodelist == null && sources.hostfile() == null) {
            throw new IllegalArgumentException("--agents dns:///...: a DNS name lists only the agents that are up, never"
                    + " the nodes that have none; say which nodes must answer with --expect-nodes N|NAMES or"
                    + " --k8s-nodes SELECTOR");
        }
        if (!explicitExpectation) {
            listed.forEach((source, nodes) -> expected.require(nodes, source));
        }
        if (sources.expectNodes() != null) {
            expect(sources.expectNodes(), expected);
        }
        if (sources.k8sSelector() != null) {
            String selector = KubernetesNodes.validateSelector(sources.k8sSelector());
            String source = "kubernetes nodes matching " + selector;
            try {
                List<String> nodes = kubernetes.open().list(selector);
                if (nodes.isEmpty()) {
                    expected.failed(source, "no node matches; check the selector");
                } else {
                    expected.require(nodes, source);
                }
            } catch (IOException e) {
                expected.failed(source, e.getMessage());
            }
        }
        return new Plan(List.copyOf(agents.values()), expected);
    }

    /** The ready bench pods as agents; every pod the template makes must answer, each ready pod's node by name. */
    public static Plan of(BenchPods.Ready ready) {
        ExpectedNodes expected = new ExpectedNodes();
        expected.require(ready.nodes(), ready.source());
        expected.requireCount(ready.expected(), ready.source());
        if (!ready.notReady().isEmpty()) {
            expected.shortfall(ready.source(), ready.notReady());
        }
        return new Plan(ready.agents(), expected);
    }

    private static String slurmNodelist(Sources sources, Map<String, String> env) {
        if (sources.slurm() && sources.slurmNodelist() != null) {
            throw new IllegalArgumentException("give --slurm or --slurm-nodelist, not both");
        }
        if (!sources.slurm()) {
            return sources.slurmNodelist();
        }
        String nodelist = env.get(SLURM_NODELIST_ENV);
        if (nodelist == null || nodelist.isBlank()) {
            throw new IllegalArgumentException("--slurm: " + SLURM_NODELIST_ENV + " is not set; run inside a Slurm"
                    + " allocation (sbatch, salloc) or give --slurm-nodelist");
        }
        return nodelist;
    }

    /** {@code 4} (a count) or names in Slurm's syntax ({@code gpu-01,gpu-02} or {@code gpu-[01-04]}). */
    private static void expect(String value, ExpectedNodes expected) {
        String text = value.strip();
        // a signed number is a count too: -1 is a mistyped count, never a host name (none starts with '-')
        if (text.matches("[+-]?\\d+")) {
            int count;
            try {
                count = Numbers.count(text, "--expect-nodes", 1, SlurmNodelist.MAX_NODES);
            } catch (Numbers.NumberException e) {
                throw new IllegalArgumentException(e.getMessage() + ": a node count or node names");
            }
            expected.requireCount(count, "--expect-nodes " + text);
            return;
        }
        try {
            expected.require(SlurmNodelist.expand(text), "--expect-nodes " + text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--expect-nodes: " + e.getMessage());
        }
    }
}
