package dev.preflight.coordinator.run;

import com.google.protobuf.Timestamp;
import dev.preflight.coordinator.consistency.Consistency;
import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.coordinator.fanout.Fanout;
import dev.preflight.coordinator.hostnet.HostNetPhase;
import dev.preflight.coordinator.hostnet.PairSchedule;
import dev.preflight.coordinator.score.Verdicts;
import dev.preflight.proto.ToolVersion;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunChecksRequest;
import dev.preflight.reports.JsonReport;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One preflight run over a set of agents: the selected phases in order, each bounded by its own
 * deadlines, then the verdict. A phase that cannot run (one node, nothing to compare) is left out;
 * whatever was measured is in the report.
 */
public final class PreflightRun {
    public record Options(Set<Phase> phases, RunChecksRequest checks, HostNetPhase.Settings hostNet) {}

    private final Fanout fanout;
    private final Options options;
    private final Consumer<String> progress;
    private final Clock clock;

    public PreflightRun(Fanout fanout, Options options, Consumer<String> progress, Clock clock) {
        this.fanout = fanout;
        this.options = options;
        this.progress = progress;
        this.clock = clock;
    }

    /**
     * @param membership cluster checks judged from the nodes that answered (the expected node set)
     */
    public PreflightReport run(List<AgentTarget> targets, String commandLine,
            Function<List<NodeReport>, List<CheckResult>> membership) {
        Instant started = clock.instant();
        List<NodeReport> nodes = fanout.run(targets, options.checks());
        List<CheckResult> clusterChecks = new ArrayList<>(membership.apply(nodes));
        // the phases' own sections of the report; the verdict is decided once they are all in
        PreflightReport.Builder sections = PreflightReport.newBuilder();

        List<HostNetPhase.Node> reachable = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeReport node = nodes.get(i);
            if (node.getReachability() == NodeReport.Reachability.REACHABLE) {
                reachable.add(new HostNetPhase.Node(name(node), targets.get(i)));
            }
        }
        if (options.phases().contains(Phase.CONSISTENCY) && nodes.size() > 1) {
            progress.accept("phase consistency: comparing " + reachable.size() + " nodes");
            clusterChecks.addAll(Consistency.check(nodes));
        }
        if (options.phases().contains(Phase.HOSTNET) && reachable.size() > 1) {
            HostNetPhase hostNet = new HostNetPhase(options.hostNet());
            progress.accept("phase hostnet: TCP between " + reachable.size() + " nodes, about "
                    + hostNet.estimate(PairSchedule.rounds(reachable.size()).size()).toSeconds() + " s");
            HostNetPhase.Outcome outcome = hostNet.run(reachable, ncclOverSockets(nodes));
            sections.setHostNetwork(outcome.result());
            clusterChecks.addAll(outcome.checks());
        }

        return report(commandLine, started, clock.instant(), nodes, clusterChecks).mergeFrom(sections.build()).build();
    }

    /** A report with its verdict and reasons decided from the nodes and the cluster checks. */
    public static PreflightReport.Builder report(String commandLine, Instant started, Instant finished,
            List<NodeReport> nodes, List<CheckResult> clusterChecks) {
        Verdicts.Decision decision = Verdicts.decide(nodes, clusterChecks);
        return PreflightReport.newBuilder()
                .setSchemaVersion(JsonReport.SCHEMA_VERSION)
                .setToolVersion(ToolVersion.get())
                .setStartedAt(timestamp(started))
                .setFinishedAt(timestamp(finished))
                .setVerdict(decision.verdict())
                .addAllReasons(decision.reasons())
                .addAllNodes(nodes)
                .addAllClusterChecks(clusterChecks)
                .setCommandLine(commandLine);
    }

    /**
     * Whether NCCL will carry its traffic over TCP sockets: then the host network is the data path
     * and its bandwidth decides.
     */
    static boolean ncclOverSockets(List<NodeReport> nodes) {
        for (NodeReport node : nodes) {
            Map<String, String> facts = node.getFingerprint().getFactsMap();
            if ("1".equals(facts.get("nccl_env.NCCL_IB_DISABLE"))
                    || "socket".equalsIgnoreCase(facts.getOrDefault("nccl_env.NCCL_NET", ""))) {
                return true;
            }
        }
        return false;
    }

    private static String name(NodeReport node) {
        return node.getNodeName().isEmpty() ? node.getAddress() : node.getNodeName();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
