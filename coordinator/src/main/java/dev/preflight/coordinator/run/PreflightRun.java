package dev.preflight.coordinator.run;

import com.google.protobuf.Timestamp;
import dev.preflight.coordinator.consistency.Consistency;
import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.coordinator.fanout.Fanout;
import dev.preflight.coordinator.hostnet.HostNetPhase;
import dev.preflight.coordinator.hostnet.PairSchedule;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.ToolVersion;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunChecksRequest;
import dev.preflight.proto.v1.RunPhase;
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
 * deadlines, then scoring. A phase that cannot run (one node, nothing to compare) is recorded as
 * skipped; one that breaks is recorded as failed with its error, and the run goes on, so the
 * report always holds whatever was measured.
 */
public final class PreflightRun {
    public record Options(Set<Phase> phases, RunChecksRequest checks, HostNetPhase.Settings hostNet, Scorer scorer) {}

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
        PreflightReport.Builder sections = PreflightReport.newBuilder()
                .addPhases(RunPhase.newBuilder().setName(Phase.CHECKS.flagName()).setOutcome(RunPhase.Outcome.COMPLETED));

        List<HostNetPhase.Node> reachable = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeReport node = nodes.get(i);
            if (node.getReachability() == NodeReport.Reachability.REACHABLE) {
                reachable.add(new HostNetPhase.Node(name(node), targets.get(i)));
            }
        }
        phase(Phase.CONSISTENCY, reachable.size() > 1, sections, () -> {
            progress.accept("phase consistency: comparing " + reachable.size() + " nodes");
            clusterChecks.addAll(Consistency.check(nodes));
        });
        phase(Phase.HOSTNET, reachable.size() > 1, sections, () -> {
            HostNetPhase hostNet = new HostNetPhase(options.hostNet());
            progress.accept("phase hostnet: TCP between " + reachable.size() + " nodes, about "
                    + hostNet.estimate(PairSchedule.rounds(reachable.size()).size()).toSeconds() + " s");
            HostNetPhase.Outcome outcome = hostNet.run(reachable, ncclOverSockets(nodes));
            sections.setHostNetwork(outcome.result());
            clusterChecks.addAll(outcome.checks());
        });
        return report(options.scorer(), commandLine, started, clock.instant(), nodes, clusterChecks, sections.build());
    }

    /** Runs one phase when selected and possible; records how it went, never lets it end the run. */
    private void phase(Phase phase, boolean possible, PreflightReport.Builder sections, Runnable body) {
        if (!options.phases().contains(phase)) {
            return;
        }
        RunPhase.Builder record = RunPhase.newBuilder().setName(phase.flagName());
        if (!possible) {
            sections.addPhases(record.setOutcome(RunPhase.Outcome.SKIPPED)
                    .setError("fewer than two reachable nodes"));
            return;
        }
        try {
            body.run();
            record.setOutcome(RunPhase.Outcome.COMPLETED);
        } catch (RuntimeException e) {
            progress.accept("phase " + phase.flagName() + " failed: " + e);
            record.setOutcome(RunPhase.Outcome.FAILED).setError(e.toString());
        }
        sections.addPhases(record);
    }

    /**
     * A scored report: the nodes, the cluster checks and the phases' sections, with the verdict
     * and its reasons decided by the scorer.
     */
    public static PreflightReport report(Scorer scorer, String commandLine, Instant started, Instant finished,
            List<NodeReport> nodes, List<CheckResult> clusterChecks, PreflightReport sections) {
        return scorer.score(PreflightReport.newBuilder()
                .mergeFrom(sections)
                .setSchemaVersion(JsonReport.SCHEMA_VERSION)
                .setToolVersion(ToolVersion.get())
                .setStartedAt(timestamp(started))
                .setFinishedAt(timestamp(finished))
                .addAllNodes(nodes)
                .addAllClusterChecks(clusterChecks)
                .setCommandLine(commandLine)
                .build());
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
