package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.outliers.Outliers;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Measurements.Culprit;
import dev.preflight.proto.v1.Measurements.FaultIsolation;
import dev.preflight.proto.v1.Measurements.IsolationGroup;
import dev.preflight.proto.v1.Measurements.IsolationRound;
import dev.preflight.proto.v1.Measurements.IterationFinding;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * When an all-node or rail collective failed (even once) or ran slow — a rail pair below its
 * rail's median, a node the rails named, a rank the per-iteration timing shows straggling or
 * spiking — the collective's nodes are bisected ({@link Bisection}) with all-to-all probes at one
 * bandwidth-bound size, each round's disjoint groups at once, until the node, rail or link is named
 * and confirmed. On a rail's fault alone the groups are that rail's GPUs; otherwise every GPU of
 * each node.
 */
public final class FaultIsolationPhase {
    public static final String NAME = "fault_isolation";
    static final String CHECK_ID = "nccl.fault_isolation";
    static final String ITERATIONS_ID = "nccl.iterations";
    /** One size, large enough to be bound by bandwidth, small enough that a round costs seconds. */
    static final BenchProfile.Shape PROBE = new BenchProfile.Shape(64 * ByteSizes.MIB, 64 * ByteSizes.MIB, 2, 10, 2);
    /** How far below its round's reference a group is slow when the policy turns outliers off. */
    static final double DEFAULT_SLOW_FRACTION = 0.2;

    /**
     * Why the isolation runs, and over what.
     *
     * @param rail the one rail every reason concerns, or -1 for every GPU of each node
     * @param flagged the nodes the evidence pointed at (slow pairs, rail outliers, stragglers, spikes)
     */
    public record Trigger(List<String> reasons, int rail, Set<String> flagged, List<IterationFinding> findings) {}

    private FaultIsolationPhase() {}

    public static void run(BenchContext ctx, Set<String> railSuspects) {
        BenchSettings settings = ctx.settings();
        Trigger trigger = trigger(ctx, railSuspects);
        reportFindings(ctx, trigger.findings());
        if (trigger.reasons().isEmpty()) {
            ctx.line(NAME + ": no all-node or rail collective failed or ran slow: nothing to isolate");
            return;
        }
        List<BenchNode> nodes = trigger.rail() < 0 ? ctx.nodes() : RailsPhase.members(ctx.nodes(), trigger.rail());
        FaultIsolation.Builder section = FaultIsolation.newBuilder().addAllTriggers(trigger.reasons())
                .setRail(trigger.rail()).setSlowFraction(slowFraction(settings))
                .setConfirmations(Bisection.CONFIRMATIONS);
        Map<String, BenchNode> byName = new LinkedHashMap<>();
        for (BenchNode node : nodes) {
            byName.put(node.name(), node);
            section.addSuspects(node.name());
        }
        int bound = Bisection.roundBound(nodes.size());
        section.setRoundBound(bound);
        if (nodes.size() < 2) {
            ctx.line(NAME + ": fewer than two nodes left to compare");
            ctx.results().faultIsolation(section.build());
            return;
        }
        double roundSeconds = roundSeconds(nodes, settings, trigger.rail(), ctx.slowestRate(true));
        int affordable = (int) Math.max(1, (ctx.remaining().toSeconds() - BenchBudget.MIN_TIME_LEFT.toSeconds())
                / Math.max(1, roundSeconds));
        // a fault that always shows ends within the bound; one that shows now and then is given more
        int maxRounds = Math.min(Bisection.roundLimit(nodes.size()), affordable);
        ctx.line(NAME + ": " + String.join("; ", trigger.reasons()) + ": bisecting " + nodes.size() + " nodes"
                + (trigger.rail() < 0 ? "" : " on rail " + trigger.rail()) + ", at most " + maxRounds + " rounds of about "
                + Estimate.format(Duration.ofMillis((long) (roundSeconds * 1000))) + (maxRounds < bound
                        ? " (the budget left allows no more than that; one fault can take " + bound + ")" : ""));
        Probe probe = new Probe(ctx, byName, trigger.rail());
        Bisection.Conclusion outcome;
        try {
            outcome = new Bisection(new ArrayList<>(byName.keySet()), List.of(), slowFraction(settings),
                    noiseSigmas(settings), maxRounds).run(probe);
        } catch (BudgetSpent e) {
            section.addAllRounds(probe.rounds);
            ctx.results().faultIsolation(section.build());
            throw e;
        }
        section.addAllRounds(probe.rounds(outcome)).setComplete(outcome.complete());
        for (Bisection.Culprit culprit : outcome.culprits()) {
            boolean failed = failedWith(outcome, culprit);
            section.addCulprits(Culprit.newBuilder().setKind(kind(culprit.kind())).addAllNodes(culprit.nodes())
                    .setRail(trigger.rail()).setIntermittent(culprit.intermittent()).setFailed(failed)
                    .setEvidence(culprit.evidence()));
            report(ctx, culprit, failed, trigger.rail(), outcome.rounds().size(), bound);
        }
        for (Bisection.Culprit culprit : outcome.unconfirmed()) {
            section.addUnconfirmed(Culprit.newBuilder().setKind(kind(culprit.kind())).addAllNodes(culprit.nodes())
                    .setRail(trigger.rail()).setFailed(failedWith(outcome, culprit)).setEvidence(culprit.evidence()));
            ctx.line(NAME + ": not named, the fault did not show again when measured with healthy nodes: "
                    + culprit.name());
        }
        if (outcome.culprits().isEmpty()) {
            ctx.line(NAME + ": nobody named after " + outcome.rounds().size() + " rounds"
                    + (outcome.complete() ? "" : " (stopped by the time budget)"));
        }
        ctx.results().faultIsolation(section.build());
    }

    /** What the all-node and rail phases measured that calls for an isolation. */
    static Trigger trigger(BenchContext ctx, Set<String> railSuspects) {
        BenchSettings settings = ctx.settings();
        List<String> reasons = new ArrayList<>();
        Set<Integer> rails = new LinkedHashSet<>();
        Set<String> flagged = new LinkedHashSet<>();
        List<CommRun> measured = new ArrayList<>(ctx.outcomes(AllNodesPhase.NAME));
        measured.addAll(ctx.outcomes(RailsPhase.NAME));
        for (CommRun outcome : measured) {
            if (!outcome.ok() && outcome.comm().nodeNames().stream().noneMatch(ctx.results()::isLost)) {
                reasons.add(outcome.comm().phase() + " " + outcome.comm().label() + (outcome.comm().attempt() > 1
                        ? " (repeat)" : "") + ": " + outcome.problem());
                rails.add(outcome.comm().kind() == Sweep.Kind.RAIL ? outcome.comm().rail() : -1);
            }
        }
        if (settings.outliers().isPresent()) {
            Outliers.Settings o = settings.outliers().get();
            for (String node : railSuspects) {
                if (flagged.add(node)) {
                    reasons.add("rails named " + node + " slow");
                    rails.add(-1);
                }
            }
            for (SlowPair pair : slowRailPairs(ctx.outcomes(RailsPhase.NAME), o)) {
                reasons.add(pair.label() + " ran at " + Bandwidths.format(pair.busbw()) + ", below the rail's median "
                        + Bandwidths.format(pair.median()));
                flagged.addAll(pair.nodes());
                rails.add(pair.rail());
            }
        }
        List<IterationFinding> findings = new ArrayList<>();
        // an iteration is a spike where it is as much slower as a slow group is: 1 / (1 - slow fraction), at least 1.5x
        IterationAnalysis.Settings iterations = new IterationAnalysis.Settings(slowFraction(settings),
                Math.max(IterationAnalysis.SPIKE_FACTOR, 1 / (1 - slowFraction(settings))));
        for (CommRun outcome : measured) {
            if (outcome.ok()) {
                findings.addAll(IterationAnalysis.of(outcome.comm().phase(), outcome.comm().label(),
                        outcome.results().getResultsList(), iterations));
            }
        }
        if (!findings.isEmpty()) {
            Set<String> named = IterationAnalysis.nodes(findings);
            reasons.add(findings.size() + " per-iteration finding(s) (stragglers, spikes)"
                    + (named.isEmpty() ? ", system-wide" : " naming " + String.join(", ", named)));
            flagged.addAll(named);
            rails.add(-1);
        }
        int rail = rails.size() == 1 ? rails.iterator().next() : -1;
        return new Trigger(reasons, rail, flagged, findings);
    }

    record SlowPair(String label, int rail, List<String> nodes, double busbw, double median) {}

    /**
     * Rail pairs (two nodes) below the rail's median pair by more than the relative floor, each
     * judged by the better of its attempts, where the rail has enough pairs to compare.
     */
    static List<SlowPair> slowRailPairs(List<CommRun> outcomes, Outliers.Settings settings) {
        Map<Integer, Map<String, CommRun>> byRail = new LinkedHashMap<>();
        for (CommRun outcome : outcomes) {
            Communicator comm = outcome.comm();
            if (comm.members().size() != 2 || outcome.busbw().isEmpty()) {
                continue;
            }
            Map<String, CommRun> pairs = byRail.computeIfAbsent(comm.rail(), k -> new LinkedHashMap<>());
            CommRun kept = pairs.get(comm.label());
            if (kept == null || kept.busbw().getAsDouble() < outcome.busbw().getAsDouble()) {
                pairs.put(comm.label(), outcome);
            }
        }
        List<SlowPair> slow = new ArrayList<>();
        byRail.forEach((rail, pairs) -> {
            if (pairs.size() < settings.minFleet()) {
                return;
            }
            double median = Outliers.median(pairs.values().stream().mapToDouble(o -> o.busbw().getAsDouble()).toArray());
            for (CommRun outcome : pairs.values()) {
                double busbw = outcome.busbw().getAsDouble();
                if (busbw < (1 - settings.relativeFloor()) * median) {
                    slow.add(new SlowPair(outcome.comm().label(), rail, outcome.comm().nodeNames(), busbw, median));
                }
            }
        });
        return slow;
    }

    /** The outlier policy's sigmas, which the noise floor of the isolation's rounds uses too. */
    static double noiseSigmas(BenchSettings settings) {
        return settings.outliers().map(Outliers.Settings::sigmas).orElse(Bisection.DEFAULT_NOISE_SIGMAS);
    }

    static double slowFraction(BenchSettings settings) {
        return settings.outliers().map(Outliers.Settings::relativeFloor).filter(f -> f > 0 && f < 1)
                .orElse(DEFAULT_SLOW_FRACTION);
    }

    /** The all-to-all probe over these members. */
    static Communicator probe(String label, List<BenchNode> group, int rail, BenchSettings settings) {
        List<Member> members = new ArrayList<>();
        int ranks = 0;
        for (BenchNode node : group) {
            Member member = rail < 0 ? Member.whole(node) : Member.gpu(node, rail);
            members.add(member);
            ranks += member.gpus().size();
        }
        BenchSpec spec = settings.spec(PROBE, List.of(BenchSpec.Op.ALLTOALL), BenchSpec.DataType.BFLOAT16, ranks, true,
                BenchSpec.newBuilder());
        return new Communicator(NAME, label, rail < 0 ? Sweep.Kind.ALL_NODES : Sweep.Kind.RAIL, rail, members, spec);
    }

    /** A round's predicted seconds: the suspects' two halves at once, at the given rate between nodes. */
    public static double roundSeconds(List<BenchNode> nodes, BenchSettings settings, int rail, double rate) {
        if (nodes.size() < 2) {
            return 0;
        }
        Communicator half = probe("half", nodes.subList(0, (nodes.size() + 1) / 2), rail, settings);
        return Estimate.START_SECONDS + Estimate.sweepSeconds(half.spec(), half.layout().nranks(), true, rate);
    }

    /** The most an isolation of one fault that always shows can take: {@link Bisection#roundBound} rounds. */
    public static Duration prediction(List<BenchNode> nodes, BenchSettings settings, double rate) {
        double seconds = Bisection.roundBound(nodes.size()) * roundSeconds(nodes, settings, -1, rate);
        return Duration.ofMillis((long) (seconds * 1000));
    }

    /**
     * Bytes per second each node sent to the others: the all-to-all's algorithm bandwidth (bytes
     * per rank per second) times the ranks of a node times the share that leaves it. Unlike bus
     * bandwidth it does not depend on how many nodes the group has, so groups of a round compare.
     */
    static OptionalDouble nodeRate(CommRun outcome) {
        if (!outcome.ok()) {
            return OptionalDouble.empty();
        }
        CollectiveResult result = outcome.results().getResults(0);
        if (result.getRowsCount() == 0) {
            return OptionalDouble.empty();
        }
        double algbw = result.getRows(result.getRowsCount() - 1).getOutOfPlace().getAlgbwGbps() * 1e9;
        int n = outcome.comm().members().size();
        int perNode = outcome.comm().members().stream().mapToInt(m -> m.gpus().size()).min().orElse(1);
        return OptionalDouble.of(algbw * perNode * (n - 1) / n);
    }

    private static boolean failedWith(Bisection.Conclusion outcome, Bisection.Culprit culprit) {
        for (Bisection.Round round : outcome.rounds()) {
            for (Bisection.Measured m : round.groups()) {
                if (m.result().failed() && m.group().nodes().containsAll(culprit.nodes())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Culprit.Kind kind(Bisection.Kind kind) {
        switch (kind) {
            case NODE:
                return Culprit.Kind.NODE;
            case LINK:
                return Culprit.Kind.LINK;
            default:
                return Culprit.Kind.GROUP;
        }
    }

    private static void report(BenchContext ctx, Bisection.Culprit culprit, boolean failed, int rail, int rounds,
            int bound) {
        String where = rail < 0 ? "" : " on rail " + rail;
        String how = failed ? "its collectives failed" : "its collectives ran slow";
        String summary = culprit.name() + where + " named by fault isolation in " + rounds + " round(s) (at most "
                + bound + "): " + how + (culprit.intermittent() ? ", intermittently" : "");
        ctx.line(NAME + ": " + summary);
        CheckResult.Builder check = CheckResult.newBuilder().setId(CHECK_ID).setScope(Scope.HOST)
                .setStatus(failed ? CheckResult.Status.FAIL : CheckResult.Status.WARN)
                .setSubject(culprit.kind() == Bisection.Kind.LINK ? "link " + String.join("~", culprit.nodes())
                        : "fault isolation" + where)
                .setSummary(summary)
                .setObserved(culprit.evidence())
                .setExpected("every group of healthy nodes completes at the rate of the best group");
        if (culprit.kind() == Bisection.Kind.NODE) {
            check.setRemediation("check this node's GPUs (dcgmi diag -r 3), NICs, cables and switch ports"
                    + (rail < 0 ? "" : " on rail " + rail) + " (rates, port counters), and its NCCL log");
            ctx.results().addNodeCheck(culprit.nodes().get(0), check.build());
        } else if (culprit.kind() == Bisection.Kind.LINK) {
            check.setRemediation("both nodes are healthy with others: check the path between them (cables, switch "
                    + "ports, routing between their leaf switches) and their port counters");
            ctx.results().addClusterCheck(check.build());
        } else {
            check.setRemediation("the rounds could not tell these nodes apart: rerun with more healthy nodes, or "
                    + "measure them pairwise (--phases pairwise)");
            ctx.results().addClusterCheck(check.build());
        }
    }

    /** The per-iteration findings into the report, and a WARN, not counted, on each node they name. */
    private static void reportFindings(BenchContext ctx, List<IterationFinding> findings) {
        Map<String, List<IterationFinding>> byNode = new LinkedHashMap<>();
        for (IterationFinding finding : findings) {
            ctx.results().addIterationFinding(finding);
            for (String node : finding.getNodesList()) {
                byNode.computeIfAbsent(node, k -> new ArrayList<>()).add(finding);
            }
        }
        byNode.forEach((node, mine) -> {
            long spikes = mine.stream().filter(f -> f.getKind() == IterationFinding.Kind.SPIKE).count();
            long stragglers = mine.size() - spikes;
            IterationFinding first = mine.get(0);
            ctx.results().addNodeCheck(node, CheckResult.newBuilder().setId(ITERATIONS_ID).setScope(Scope.HOST)
                    .setStatus(CheckResult.Status.WARN)
                    .setSubject(first.getPhase() + " " + first.getCommunicator())
                    .setSummary(node + ": " + (stragglers > 0 ? stragglers + " straggling size(s)" : "")
                            + (stragglers > 0 && spikes > 0 ? ", " : "") + (spikes > 0 ? spikes + " spiking iteration(s)" : "")
                            + " in the all-node and rail collectives: slow in some iterations, fine in others")
                    .setObserved(String.format(java.util.Locale.ROOT, "%s %.1f us against a median of %.1f us",
                            first.getKind() == IterationFinding.Kind.SPIKE ? "iteration " + first.getIteration() + ":"
                                    : "mean iteration", first.getTimeUs(), first.getMedianUs()))
                    .setExpected("every iteration within " + IterationAnalysis.SPIKE_FACTOR + "x the median")
                    .setRemediation("a flapping link or GPU: watch this node's port counters and Xid log while the "
                            + "collectives run")
                    // iteration-to-iteration spread also comes from a busy host or a shared fabric: it
                    // points fault isolation at suspects, and only what fault isolation confirms decides
                    .setNotCounted("per-iteration spread alone decides nothing: fault isolation confirms or clears the node")
                    .build());
        });
    }

    /** Measures a round's groups as communicators, at once, and keeps what the report shows of them. */
    private static final class Probe implements Bisection.Probe {
        private final BenchContext ctx;
        private final Map<String, BenchNode> byName;
        private final int rail;
        final List<IsolationRound> rounds = new ArrayList<>();
        private final List<Double> seconds = new ArrayList<>();

        Probe(BenchContext ctx, Map<String, BenchNode> byName, int rail) {
            this.ctx = ctx;
            this.byName = byName;
            this.rail = rail;
        }

        @Override
        public List<Bisection.Result> round(List<Bisection.Group> groups) {
            int number = seconds.size() + 1;
            List<Communicator> comms = new ArrayList<>();
            List<String> labels = new ArrayList<>();
            for (Bisection.Group group : groups) {
                List<BenchNode> members = new ArrayList<>();
                for (String name : group.nodes()) {
                    members.add(byName.get(name));
                }
                String label = "round " + number + " " + String.join("+", group.nodes());
                labels.add(String.join("+", group.nodes()));
                comms.add(probe(label, members, rail, ctx.settings()));
            }
            long started = System.nanoTime();
            List<CommRun> outcomes = ctx.runRound(NAME, "round " + number + " (" + groups.get(0).purpose() + "): "
                    + String.join(" | ", labels), comms);
            seconds.add((System.nanoTime() - started) / 1e9);
            Map<String, CommRun> byLabel = new LinkedHashMap<>();
            for (CommRun outcome : outcomes) {
                byLabel.put(outcome.comm().label(), outcome);
            }
            List<Bisection.Result> results = new ArrayList<>();
            IsolationRound.Builder round = IsolationRound.newBuilder().setNumber(number)
                    .setSeconds(seconds.get(seconds.size() - 1));
            for (Communicator comm : comms) {
                CommRun outcome = byLabel.get(comm.label());
                OptionalDouble rate = outcome == null ? OptionalDouble.empty() : nodeRate(outcome);
                Bisection.Result result;
                if (rate.isPresent()) {
                    result = Bisection.Result.measured(rate.getAsDouble(), Bandwidths.format(rate.getAsDouble())
                            + " per node");
                } else {
                    result = Bisection.Result.failed(outcome == null ? "left out: a member was lost" : outcome.problem());
                }
                results.add(result);
            }
            rounds.add(round.build());
            return results;
        }

        /** The rounds with each group's verdict as the bisection judged it. */
        List<IsolationRound> rounds(Bisection.Conclusion outcome) {
            List<IsolationRound> judged = new ArrayList<>();
            for (int r = 0; r < outcome.rounds().size(); r++) {
                IsolationRound.Builder round = rounds.get(r).toBuilder()
                        .setSlowBelow(outcome.rounds().get(r).slowBelow());
                for (Bisection.Measured m : outcome.rounds().get(r).groups()) {
                    round.addGroups(IsolationGroup.newBuilder().addAllNodes(m.group().nodes())
                            .setPurpose(m.group().purpose()).setBad(m.bad()).setFailed(m.result().failed())
                            .setRateBytesPerSecond(m.result().rate()).setDetail(m.result().detail()));
                }
                judged.add(round.build());
            }
            return judged;
        }
    }
}
