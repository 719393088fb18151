package dev.preflight.coordinator.run;

import com.google.protobuf.Timestamp;
import dev.preflight.coordinator.collective.AllNodesPhase;
import dev.preflight.coordinator.collective.BenchBudget;
import dev.preflight.coordinator.collective.BenchContext;
import dev.preflight.coordinator.collective.BenchNode;
import dev.preflight.coordinator.collective.BenchPrediction;
import dev.preflight.coordinator.collective.BenchResults;
import dev.preflight.coordinator.collective.BenchSettings;
import dev.preflight.coordinator.collective.BudgetSpent;
import dev.preflight.coordinator.collective.Estimate;
import dev.preflight.coordinator.collective.FaultIsolationPhase;
import dev.preflight.coordinator.collective.InferencePhase;
import dev.preflight.coordinator.collective.IntraNodePhase;
import dev.preflight.coordinator.collective.PairwisePhase;
import dev.preflight.coordinator.collective.PortCounterHook;
import dev.preflight.coordinator.collective.RailsPhase;
import dev.preflight.coordinator.collective.TransportCheck;
import dev.preflight.coordinator.consistency.Consistency;
import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.coordinator.fanout.Fanout;
import dev.preflight.coordinator.hostnet.HostNetPhase;
import dev.preflight.coordinator.hostnet.PairSchedule;
import dev.preflight.coordinator.plan.Model;
import dev.preflight.coordinator.plan.ModelCatalog;
import dev.preflight.coordinator.plan.PlanCost;
import dev.preflight.coordinator.plan.Planner;
import dev.preflight.coordinator.plan.Precision;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.ModelPlan;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.ToolVersion;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunChecksRequest;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.TransportProof;
import dev.preflight.reports.JsonReport;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One preflight run over a set of agents: the selected phases in order, each bounded by its own
 * deadlines, then scoring. A phase that cannot run (one node, nothing to compare) is recorded as
 * skipped; one that breaks is recorded as failed with its error, and the run goes on, so the
 * report always holds whatever was measured.
 */
public final class PreflightRun {
    /**
     * @param bench how the bench phases measure (the profile and its overrides); used when phases selects one
     * @param portCounters read around every bench phase
     * @param benchOnlyOnGpuNodes the selected bench phases run only when at least two reachable nodes
     *     have GPUs (the default run: measure a cluster, and leave a lone node or a CPU fleet alone)
     * @param plan the model plan whose communication the inference phase measures; null for none
     */
    public record Options(Set<Phase> phases, RunChecksRequest checks, HostNetPhase.Settings hostNet, Scorer scorer,
            BenchSettings bench, PortCounterHook portCounters, PlanRequest plan, boolean benchOnlyOnGpuNodes) {
        public Options(Set<Phase> phases, RunChecksRequest checks, HostNetPhase.Settings hostNet, Scorer scorer,
                BenchSettings bench, PortCounterHook portCounters) {
            this(phases, checks, hostNet, scorer, bench, portCounters, null, false);
        }
    }

    /**
     * A plan to measure: a fixed one (preflight plan -o json), or a model to plan onto the nodes
     * as their inventories describe them.
     *
     * @param fixed the plan as given; null to plan the model
     * @param model with precision and load, planned when fixed is null
     * @param policy the headroom, tiers and token budget the plan and its cost are judged by
     */
    public record PlanRequest(ModelPlan fixed, Model model, Precision precision, Planner.Load load, Policy policy) {}

    private final Fanout fanout;
    private final Options options;
    private final Progress progress;
    private final Clock clock;
    /** The phases this run takes: the options', less the bench phases where they wait for GPU nodes that are not there. */
    private Set<Phase> selected;

    /**
     * What the run has established so far, kept for {@link #stoppedReport}: another thread (a
     * signal's) reads it while the run goes on. Null until the node checks are in.
     */
    private final Object soFarLock = new Object();
    private Instant startedAt;
    private List<NodeReport> nodesSoFar;
    private List<CheckResult> clusterChecksSoFar;
    private PreflightReport.Builder sectionsSoFar;

    public PreflightRun(Fanout fanout, Options options, Progress progress, Clock clock) {
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
        synchronized (soFarLock) {
            startedAt = started;
        }
        List<NodeReport> nodes = new ArrayList<>();
        for (NodeReport node : fanout.run(targets, options.checks())) {
            nodes.add(NodeFacts.withCheckFacts(node));
        }
        List<CheckResult> clusterChecks = new ArrayList<>(membership.apply(nodes));
        // the phases' own sections of the report; the verdict is decided once they are all in
        PreflightReport.Builder sections = PreflightReport.newBuilder()
                .addPhases(RunPhase.newBuilder().setName(Phase.CHECKS.flagName()).setOutcome(RunPhase.Outcome.COMPLETED));
        synchronized (soFarLock) {
            nodesSoFar = nodes;
            clusterChecksSoFar = clusterChecks;
            sectionsSoFar = sections;
        }
        for (NodeReport node : nodes) {
            sections.getMeasurementsBuilder()
                    .addAllPorts(NodeFacts.portRates(name(node), node))
                    .addAllStorage(NodeFacts.storageReads(name(node), node));
        }

        List<HostNetPhase.Node> reachable = new ArrayList<>();
        List<BenchContext.Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeReport node = nodes.get(i);
            if (node.getReachability() == NodeReport.Reachability.REACHABLE) {
                reachable.add(new HostNetPhase.Node(name(node), targets.get(i)));
                candidates.add(candidate(node, targets.get(i)));
            }
        }
        selected = EnumSet.noneOf(Phase.class);
        selected.addAll(options.phases());
        long gpuNodes = candidates.stream().filter(c -> c.inventoryGpus() > 0).count();
        if (options.benchOnlyOnGpuNodes()) {
            if (gpuNodes >= 2) {
                progress.line(gpuNodes + " reachable GPU nodes: measuring them with the quick NCCL profile "
                        + "(--profile checks runs the checks alone)");
            } else {
                selected.removeIf(Phase::bench);
            }
        }
        phase(Phase.CONSISTENCY, () -> reachable.size() > 1 ? null : FEWER_THAN_TWO, sections, () -> {
            progress.line("phase consistency: comparing " + reachable.size() + " nodes");
            clusterChecks.addAll(Consistency.check(nodes));
        });
        ModelPlan plan = null;
        BenchSettings settings = options.bench();
        if (options.plan() != null) {
            try {
                plan = resolve(options.plan(), candidates);
                settings = settings.forPlan(plan.getTensorParallel(), plan.getPipelineParallel(), sizes(plan));
                progress.line("plan " + plan.getModel() + " " + plan.getPrecision() + ": TP " + plan.getTensorParallel() + " x PP "
                        + plan.getPipelineParallel() + (plan.hasArchitecture() ? ", decode messages of "
                        + ByteSizes.format(settings.planSizes().decodeBytes()) : ""));
            } catch (IllegalArgumentException e) {
                clusterChecks.add(CheckResult.newBuilder().setId(PlanCost.FIT_ID).setScope(Scope.HOST).setStatus(CheckResult.Status.ERROR)
                        .setSummary("cannot plan " + (options.plan().model() == null ? "the model" : options.plan().model().displayName())
                                + ": " + e.getMessage()).build());
            }
        }
        int benchedNodes = candidates.size();
        if (selected.stream().anyMatch(Phase::bench)) {
            try (BenchContext bench = new BenchContext(settings, candidates, progress::line, progress::status, clock,
                    options.portCounters())) {
                benchPhases(bench, sections);
                merge(bench.results(), nodes, clusterChecks, sections);
                if (bench.benched()) {
                    benchedNodes = bench.nodes().size();
                }
            }
        }
        if (plan != null) {
            String display = ModelCatalog.find(plan.getModel()).map(Model::displayName).orElse(plan.getModel());
            PlanCost.Assessment cost = PlanCost.evaluate(plan, display, sections.getMeasurements().getLatencyList(), benchedNodes,
                    options.plan().policy().tokenBudget());
            sections.setPlan(plan).setPlanEvidence(cost.evidence());
            clusterChecks.addAll(cost.checks());
            progress.line(cost.evidence().getSummary());
        }
        List<HostNetPhase.Node> alive = new ArrayList<>();
        for (HostNetPhase.Node node : reachable) {
            if (lost(nodes, node.name()) == null) {
                alive.add(node);
            }
        }
        phase(Phase.HOSTNET, () -> alive.size() > 1 ? null : FEWER_THAN_TWO, sections, () -> {
            HostNetPhase hostNet = new HostNetPhase(options.hostNet());
            progress.line("phase hostnet: TCP between " + alive.size() + " nodes, about "
                    + hostNet.estimate(PairSchedule.rounds(alive.size()).size()).toSeconds() + " s");
            HostNetPhase.Assessment outcome = hostNet.run(alive, ncclOverSockets(nodes));
            sections.setHostNetwork(outcome.result());
            clusterChecks.addAll(outcome.checks());
        });
        return report(options.scorer(), commandLine, started, clock.instant(), nodes, clusterChecks, sections.build());
    }

    private static final String FEWER_THAN_TWO = "fewer than two reachable nodes";
    /** Copies of the run's state may race a phase that is adding to it; a few tries get a consistent one. */
    private static final int SNAPSHOT_TRIES = 5;

    /**
     * The report of a run stopped part-way (SIGTERM): what was measured so far, scored, with every
     * selected phase that had not finished marked not run. Called from another thread while the
     * run goes on; bench measurements of a bench phase still running are not in it.
     *
     * @param answered the nodes whose checks had come back, for a run stopped during the node checks
     * @param addresses every target's address, to mark the nodes that had not answered
     */
    public PreflightReport stoppedReport(String commandLine, String why, List<NodeReport> answered, List<String> addresses) {
        List<NodeReport> nodes;
        List<CheckResult> clusterChecks;
        PreflightReport.Builder sections;
        Instant started;
        synchronized (soFarLock) {
            started = startedAt == null ? clock.instant() : startedAt;
            if (nodesSoFar == null) {
                nodes = notAnswered(answered, addresses, why);
                clusterChecks = List.of();
                sections = PreflightReport.newBuilder().addPhases(RunPhase.newBuilder().setName(Phase.CHECKS.flagName())
                        .setOutcome(RunPhase.Outcome.NOT_RUN)
                        .setError(why + " after " + answered.size() + " of " + addresses.size() + " nodes answered"));
            } else {
                nodes = null;
                clusterChecks = null;
                sections = null;
                for (int i = 0; i < SNAPSHOT_TRIES && sections == null; i++) {
                    try {
                        nodes = new ArrayList<>(nodesSoFar);
                        clusterChecks = new ArrayList<>(clusterChecksSoFar);
                        sections = sectionsSoFar.clone();
                    } catch (RuntimeException e) {
                        // a phase changed a list while it was copied: take it again
                        sections = null;
                    }
                }
                if (sections == null) {
                    nodes = new ArrayList<>(notAnswered(List.of(), addresses, why));
                    clusterChecks = List.of();
                    sections = PreflightReport.newBuilder();
                }
            }
        }
        Set<String> recorded = new LinkedHashSet<>();
        for (RunPhase phase : sections.getPhasesList()) {
            recorded.add(phase.getName());
        }
        for (Phase phase : options.phases()) {
            if (!recorded.contains(phase.flagName())) {
                sections.addPhases(RunPhase.newBuilder().setName(phase.flagName())
                        .setOutcome(RunPhase.Outcome.NOT_RUN).setError(why));
            }
        }
        return report(options.scorer(), commandLine, started, clock.instant(), nodes, clusterChecks, sections.build());
    }

    private static List<NodeReport> notAnswered(List<NodeReport> answered, List<String> addresses, String why) {
        List<NodeReport> nodes = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (NodeReport node : answered) {
            nodes.add(NodeFacts.withCheckFacts(node));
            seen.add(node.getAddress());
        }
        for (String address : addresses) {
            if (!seen.contains(address)) {
                nodes.add(NodeReport.newBuilder().setAddress(address).setReachability(NodeReport.Reachability.UNREACHABLE)
                        .setError("not run: " + why + " before it answered").build());
            }
        }
        return nodes;
    }

    /** The fixed plan, or the model planned onto the smallest node's GPUs as the inventories list them. */
    private static ModelPlan resolve(PlanRequest request, List<BenchContext.Candidate> candidates) {
        if (request.fixed() != null) {
            return request.fixed();
        }
        int gpus = candidates.stream().mapToInt(BenchContext.Candidate::inventoryGpus).min().orElse(0);
        long memory = candidates.stream().mapToLong(BenchContext.Candidate::gpuMemoryBytes).min().orElse(0);
        if (gpus < 1 || memory < 1) {
            throw new IllegalArgumentException("no node's inventory lists its GPUs and their memory; plan with "
                    + "preflight plan --gpus-per-node N --gpu-memory SIZE -o json and pass --plan FILE");
        }
        return Planner.plan(request.model(), request.precision(), new Planner.Cluster(gpus, memory, candidates.size(),
                Tier.TIER_UNSPECIFIED, 0, List.of()), request.load(), request.policy());
    }

    private static BenchSettings.PlanSizes sizes(ModelPlan plan) {
        if (!plan.hasArchitecture()) {
            return BenchSettings.PlanSizes.NONE;
        }
        return new BenchSettings.PlanSizes(PlanCost.decodeBytes(plan),
                PlanCost.dispatchBytes(plan, plan.getTensorParallel() * plan.getPipelineParallel()));
    }

    private void benchPhases(BenchContext bench, PreflightReport.Builder sections) {
        BenchSettings settings = bench.settings();
        Set<String> names = new LinkedHashSet<>();
        for (Phase phase : selected) {
            if (phase.bench()) {
                names.add(phase.flagName());
            }
        }
        Duration predicted = BenchPrediction.of(bench.predictedNodes(), settings, names);
        sections.setProfile(settings.profile().flagName())
                .setPredictedSeconds(predicted.toMillis() / 1000.0)
                .setBudgetSeconds(settings.budget().toSeconds());
        String isolation = names.contains(FaultIsolationPhase.NAME) ? ", fault isolation up to " + Estimate.format(
                FaultIsolationPhase.prediction(bench.predictedNodes(), settings, Estimate.nominalRate(true)))
                + " more if a collective fails or runs slow (more for a fault that shows only now and then)" : "";
        progress.line("bench phases (" + String.join(", ", names) + "), profile " + settings.profile().flagName() + ": "
                + bench.candidateCount() + " node(s), predicted " + Estimate.format(predicted) + isolation + ", budget "
                + Estimate.format(settings.budget()));
        bench.start();
        List<Integer> assumed = gpuCounts(bench.predictedNodes());
        Set<String> railSuspects = new LinkedHashSet<>();
        Map<String, Duration> first = BenchPrediction.perPhase(bench.predictedNodes(), settings, names,
                Estimate.nominalRate(true), Estimate.nominalRate(false));
        benchPhase(Phase.INTRA_NODE, first.get(IntraNodePhase.NAME), () -> benchSkip(bench, 1, null), sections,
                () -> IntraNodePhase.run(bench));
        // every other bench phase needs the nodes' GPUs: the intra-node phase learnt them, else a probe does
        names.remove(IntraNodePhase.NAME);
        String probeFailure = null;
        if (!bench.benched() && selected.stream().anyMatch(p -> p.bench() && p != Phase.INTRA_NODE)
                && bench.candidateCount() > 0 && !bench.budgetSpent()) {
            progress.line("learning each node's GPUs with a small intra-node bench");
            try {
                IntraNodePhase.probe(bench);
            } catch (RuntimeException e) {
                probeFailure = e.getMessage();
            }
        }
        String unknownGpus = "no node's GPUs are known: the small intra-node bench that learns them failed: " + probeFailure;
        if (bench.benched() && !gpuCounts(bench.nodes()).equals(assumed) && !names.isEmpty()) {
            progress.line("GPUs per node " + gpuCounts(bench.nodes()) + ": the remaining bench phases predicted "
                    + Estimate.format(BenchPrediction.of(bench.nodes(), settings, names)));
        }
        Set<String> cut = new LinkedHashSet<>();
        benchPhase(Phase.ALL_NODES, revise(bench, names, cut, Phase.ALL_NODES),
                () -> benchSkip(bench, 2, unknownGpus, cut, Phase.ALL_NODES), sections, () -> AllNodesPhase.run(bench));
        names.remove(AllNodesPhase.NAME);
        benchPhase(Phase.RAILS, revise(bench, names, cut, Phase.RAILS),
                () -> benchSkip(bench, 2, unknownGpus, cut, Phase.RAILS), sections, () -> railSuspects.addAll(RailsPhase.run(bench)));
        names.remove(RailsPhase.NAME);
        Duration isolationBound = bench.benched() ? FaultIsolationPhase.prediction(bench.nodes(), settings,
                bench.slowestRate(true)) : Duration.ZERO;
        benchPhase(Phase.FAULT_ISOLATION, isolationBound, () -> benchSkip(bench, 2, unknownGpus), sections,
                () -> FaultIsolationPhase.run(bench, railSuspects));
        names.remove(FaultIsolationPhase.NAME);
        benchPhase(Phase.PAIRWISE, revise(bench, names, cut, Phase.PAIRWISE),
                () -> benchSkip(bench, 2, unknownGpus, cut, Phase.PAIRWISE), sections, () -> PairwisePhase.run(bench, railSuspects));
        names.remove(PairwisePhase.NAME);
        benchPhase(Phase.INFERENCE, revise(bench, names, cut, Phase.INFERENCE),
                () -> benchSkip(bench, 1, unknownGpus, cut, Phase.INFERENCE), sections, () -> InferencePhase.run(bench));
    }

    /**
     * The remaining phases predicted again at the slowest rates measured so far, printed; phases
     * cut, in {@link BenchPrediction#CUT_ORDER}, while that exceeds the budget left. Returns the
     * next phase's own prediction (nothing, and no line, when it is not to run).
     */
    private Duration revise(BenchContext bench, Set<String> remaining, Set<String> cut, Phase next) {
        if (!bench.benched() || !remaining.contains(next.flagName())) {
            return Duration.ZERO;
        }
        // the settings the phases run with: with a plan, its TP and PP groups and decode sizes
        BenchSettings settings = bench.settings();
        double across = bench.slowestRate(true);
        double inside = bench.slowestRate(false);
        Set<String> kept = new LinkedHashSet<>(remaining);
        kept.removeAll(cut);
        Map<String, Duration> perPhase = BenchPrediction.perPhase(bench.nodes(), settings, kept, across, inside);
        Duration total = BenchBudget.predicted(perPhase);
        Duration left = bench.remaining();
        progress.line("bench: revised at the slowest rates measured (between nodes " + Bandwidths.format(across)
                + ", inside a node " + Bandwidths.format(inside) + "): " + String.join(", ", perPhase.keySet())
                + " predicted " + Estimate.format(total) + ", budget left " + Estimate.format(left));
        for (BenchBudget.Cut phase : BenchBudget.cut(perPhase, left)) {
            cut.add(phase.phase());
            progress.line("bench: cutting " + phase.phase() + " (cut order " + String.join(", ", BenchPrediction.CUT_ORDER)
                    + "): the rest now predicted " + Estimate.format(phase.rest()));
        }
        return perPhase.getOrDefault(next.flagName(), Duration.ZERO);
    }

    /** As {@link #benchSkip(BenchContext, int, String)}, and skipped when the budget cut it. */
    private String benchSkip(BenchContext bench, int nodesNeeded, String unknownGpus, Set<String> cut, Phase phase) {
        if (cut.contains(phase.flagName())) {
            return "cut to keep to the time budget: the remaining phases' revised prediction exceeded the "
                    + Estimate.format(bench.remaining()) + " left (cut order: "
                    + String.join(", ", BenchPrediction.CUT_ORDER) + ")";
        }
        return benchSkip(bench, nodesNeeded, unknownGpus);
    }

    /** A bench phase, its prediction and its wall time recorded with it. */
    private void benchPhase(Phase phase, Duration predicted, Supplier<String> skip, PreflightReport.Builder sections,
            Runnable body) {
        int before = sections.getPhasesCount();
        long started = System.nanoTime();
        phase(phase, skip, sections, body);
        if (sections.getPhasesCount() == before) {
            return;
        }
        RunPhase.Builder record = sections.getPhasesBuilder(before);
        Duration actual = Duration.ofNanos(System.nanoTime() - started);
        record.setPredictedSeconds((predicted == null ? Duration.ZERO : predicted).toMillis() / 1000.0);
        if (record.getOutcome() != RunPhase.Outcome.SKIPPED) {
            record.setActualSeconds(actual.toMillis() / 1000.0);
            progress.line("phase " + phase.flagName() + " took " + Estimate.format(actual) + ", predicted "
                    + Estimate.format(predicted == null ? Duration.ZERO : predicted)
                    + (phase == Phase.FAULT_ISOLATION ? " for a fault that always shows" : ""));
        }
    }

    private static List<Integer> gpuCounts(List<BenchNode> nodes) {
        List<Integer> counts = new ArrayList<>();
        for (BenchNode node : nodes) {
            counts.add(node.gpuCount());
        }
        return counts;
    }

    /**
     * Why a bench phase cannot run, or null when it can.
     *
     * @param unknownGpus for a phase that lays out ranks over the nodes' GPUs, what failed when they are
     *     not known (the phase then fails); null for the phase that learns them
     */
    private String benchSkip(BenchContext bench, int nodesNeeded, String unknownGpus) {
        if (bench.budgetSpent()) {
            return "the bench time budget of " + Estimate.format(bench.settings().budget()) + " ran out";
        }
        if (bench.candidateCount() < nodesNeeded) {
            return nodesNeeded == 1 ? "no reachable node" : FEWER_THAN_TWO;
        }
        if (unknownGpus != null && !bench.benched()) {
            throw new IllegalStateException(unknownGpus);
        }
        if (bench.benched() && bench.nodes().size() < nodesNeeded) {
            return nodesNeeded == 1 ? "no node can bench" : "fewer than two nodes can bench";
        }
        return null;
    }

    /** The bench phases' results into the report: measurements, raw collectives, checks, and the nodes lost. */
    private static void merge(BenchResults results, List<NodeReport> nodes, List<CheckResult> clusterChecks,
            PreflightReport.Builder sections) {
        results.measurements(sections.getMeasurementsBuilder());
        sections.addAllCollectives(results.collectives());
        clusterChecks.addAll(results.clusterChecks());
        Map<String, List<CheckResult>> nodeChecks = results.nodeChecks();
        Map<String, TransportProof> transports = results.crossNodeTransport();
        Map<String, String> lost = results.lost();
        for (int i = 0; i < nodes.size(); i++) {
            NodeReport node = nodes.get(i);
            String name = name(node);
            NodeReport.Builder builder = node.toBuilder().addAllChecks(nodeChecks.getOrDefault(name, List.of()));
            if (transports.containsKey(name)) {
                builder.addChecks(TransportCheck.of(transports.get(name), TransportCheck.rails(node.getChecksList())));
            }
            if (lost.containsKey(name)) {
                builder.setReachability(NodeReport.Reachability.LOST).setError(lost.get(name));
            }
            nodes.set(i, builder.build());
        }
    }

    private static String lost(List<NodeReport> nodes, String name) {
        for (NodeReport node : nodes) {
            if (name(node).equals(name) && node.getReachability() == NodeReport.Reachability.LOST) {
                return node.getError();
            }
        }
        return null;
    }

    /** A reachable node as the bench phases first see it: its inventory's GPUs, if it found any. */
    private static BenchContext.Candidate candidate(NodeReport node, AgentTarget target) {
        List<Gpu> gpus = node.getInfo().getGpuInventory().getGpusList();
        String model = gpus.isEmpty() ? "" : gpus.get(0).getName();
        long memory = gpus.isEmpty() || !gpus.get(0).hasMemoryTotalBytes() ? 0 : gpus.get(0).getMemoryTotalBytes();
        return new BenchContext.Candidate(name(node), target, model, memory, gpus.size());
    }

    /**
     * Runs one phase when selected and possible; records how it went, never lets it end the run.
     *
     * @param skip why the phase cannot run, or null when it can; asked only when the phase is selected
     */
    private void phase(Phase phase, Supplier<String> skip, PreflightReport.Builder sections, Runnable body) {
        if (!selected.contains(phase)) {
            return;
        }
        RunPhase.Builder record = RunPhase.newBuilder().setName(phase.flagName());
        String reason;
        try {
            reason = skip.get();
        } catch (IllegalStateException | BudgetSpent e) {
            progress.line("phase " + phase.flagName() + " failed: " + e.getMessage());
            sections.addPhases(record.setOutcome(RunPhase.Outcome.FAILED).setError(e.getMessage()));
            return;
        }
        if (reason != null) {
            progress.line("phase " + phase.flagName() + " skipped: " + reason);
            sections.addPhases(record.setOutcome(RunPhase.Outcome.SKIPPED).setError(reason));
            return;
        }
        if (phase.bench()) {
            progress.line("phase " + phase.flagName());
        }
        try {
            body.run();
            record.setOutcome(RunPhase.Outcome.COMPLETED);
        } catch (IllegalArgumentException | BudgetSpent e) {
            progress.line("phase " + phase.flagName() + " failed: " + e.getMessage());
            record.setOutcome(RunPhase.Outcome.FAILED).setError(e.getMessage());
        } catch (RuntimeException e) {
            progress.line("phase " + phase.flagName() + " failed: " + e);
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
