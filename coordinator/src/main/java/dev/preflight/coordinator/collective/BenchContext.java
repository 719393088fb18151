package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.SizeProgress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * What the bench phases share, and how their communicators run: rounds one after another, the
 * communicators of a round at once; a node lost in one round is left out of every later one. Each
 * concern has its own class, which this one coordinates: the node set ({@link BenchNodes}, learnt
 * by {@link FirstBench}), the time budget ({@link BenchBudget}), what was measured
 * ({@link BenchRecorder}), the repeat of a failed or low measurement ({@link Retries}), and the
 * nodes named as suspects ({@link SuspectChecks}).
 */
public final class BenchContext implements AutoCloseable {
    /** A reachable node before it has benched: the GPUs the inventory found, where it found any. */
    public record Candidate(String name, AgentTarget target, String gpuModel, long gpuMemoryBytes, int inventoryGpus) {}

    public static final String COLLECTIVE_ID = "nccl.collective";
    public static final String BENCH_ID = "nccl.bench";
    /** Threads for communicators running at once; more wait their turn within the round. */
    static final int MAX_PARALLEL = 256;

    private final BenchSettings settings;
    private final BenchNodes nodes;
    private final Function<Communicator, CommRun> runOne;
    private final Consumer<String> lines;
    private final PortCounterHook counters;
    private final ExecutorService pool = Executors.newFixedThreadPool(MAX_PARALLEL, daemon("preflight-bench"));
    private final BenchBudget budget;
    private final BenchRecorder recorder;
    private final BenchResults results;
    private final Retries retries;
    private final SuspectChecks suspectChecks;
    private final FirstBench firstBench;

    /**
     * A context whose nodes' GPUs are learnt by their agents, communicators running on the agents.
     *
     * @param lines progress lines that stay (rounds, failures, lost nodes)
     * @param status a live status a terminal overwrites and a log leaves out (each size as it completes)
     */
    public BenchContext(BenchSettings settings, List<Candidate> candidates, Consumer<String> lines, Consumer<String> status,
            Clock clock, PortCounterHook counters) {
        this(settings, candidates, new CommunicatorRunner(settings.ncclSettings(), settings.connectTimeout(),
                (comm, progress) -> status.accept(progress(comm, progress))), lines, clock, counters);
    }

    private BenchContext(BenchSettings settings, List<Candidate> candidates, CommunicatorRunner agents,
            Consumer<String> lines, Clock clock, PortCounterHook counters) {
        this(settings, BenchNodes.toLearn(candidates, agents), agents::run, lines, clock, counters);
    }

    /**
     * @param runOne how one communicator runs, start to end: the agents' runner, or a stand-in for them
     * @param lines progress lines that stay (rounds, failures, lost nodes)
     */
    BenchContext(BenchSettings settings, BenchNodes nodes, Function<Communicator, CommRun> runOne, Consumer<String> lines,
            Clock clock, PortCounterHook counters) {
        this.settings = settings;
        this.nodes = nodes;
        this.runOne = runOne;
        this.lines = lines;
        this.counters = counters;
        this.budget = new BenchBudget(settings, clock);
        this.recorder = new BenchRecorder(settings, lines);
        this.results = recorder.results();
        this.retries = new Retries(recorder, this::run, lines);
        this.suspectChecks = new SuspectChecks(results, settings.outliers());
        this.firstBench = new FirstBench(nodes, recorder, this::prepared, pool, lines);
    }

    static java.util.concurrent.ThreadFactory daemon(String name) {
        return task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /** The live status line of a size that completed. */
    private static String progress(Communicator comm, SizeProgress progress) {
        return comm.phase() + ": " + comm.label() + ": " + Sweeps.op(progress.getOp()) + " "
                + ByteSizes.format(progress.getRow().getSizeBytes()) + " (" + progress.getDone() + "/" + progress.getTotal()
                + ")";
    }

    public BenchSettings settings() {
        return settings;
    }

    public BenchResults results() {
        return results;
    }

    void line(String text) {
        lines.accept(text);
    }

    /** Starts the budget's clock: the bench phases begin. */
    public void start() {
        budget.start();
    }

    public Duration remaining() {
        return budget.remaining();
    }

    public boolean budgetSpent() {
        return budget.spent();
    }

    public boolean benched() {
        return nodes.benched();
    }

    /** Nodes that benched and are not lost, in run order. */
    public List<BenchNode> nodes() {
        List<BenchNode> alive = new ArrayList<>();
        for (BenchNode node : nodes.all()) {
            if (!results.isLost(node.name())) {
                alive.add(node);
            }
        }
        return alive;
    }

    /** Reachable nodes not lost: the bench phases' nodes before the first of them ran. */
    public int candidateCount() {
        return (int) nodes.candidates().stream().filter(c -> !results.isLost(c.name())).count();
    }

    /**
     * The nodes as the prediction sees them: those that benched, else the candidates with the
     * inventory's GPU count ({@value BenchNodes#ASSUMED_GPUS} where it found none).
     */
    public List<BenchNode> predictedNodes() {
        return nodes.benched() ? nodes() : nodes.assumed();
    }

    /**
     * Each node's first bench, every node at once: how the run learns each node's GPUs; see
     * {@link FirstBench}.
     */
    List<CommRun> benchEachNode(String phase, IntFunction<BenchSpec> specForRanks) {
        start();
        budget.require(phase, 0, 1);
        lines.accept(phase + ": " + candidateCount() + " node(s) at once, each on its own GPUs");
        return firstBench.run(phase, specForRanks);
    }

    /**
     * Runs the rounds one after another, each round's communicators at once, leaving out
     * communicators of nodes lost meanwhile.
     *
     * @throws BudgetSpent when the budget ends before a round, after recording what ran
     */
    public List<CommRun> run(String phase, List<List<Communicator>> rounds) {
        start();
        List<CommRun> outcomes = new ArrayList<>();
        for (int r = 0; r < rounds.size(); r++) {
            List<Communicator> round = withoutLost(phase, rounds.get(r));
            if (round.isEmpty()) {
                continue;
            }
            budget.require(phase, r, rounds.size());
            lines.accept(phase + ": round " + (r + 1) + "/" + rounds.size() + ": " + describe(round));
            outcomes.addAll(runAtOnce(round));
        }
        return outcomes;
    }

    /**
     * One round of communicators at once, announced with its own title (a phase whose rounds are
     * decided one at a time, from the last one's results).
     *
     * @throws BudgetSpent when the budget ends before it
     */
    public List<CommRun> runRound(String phase, String title, List<Communicator> communicators) {
        start();
        List<Communicator> round = withoutLost(phase, communicators);
        if (round.isEmpty()) {
            return List.of();
        }
        budget.require(phase, 0, 1);
        lines.accept(phase + ": " + title);
        return runAtOnce(round);
    }

    private List<Communicator> withoutLost(String phase, List<Communicator> communicators) {
        List<Communicator> round = new ArrayList<>();
        Set<String> lost = results.lost().keySet();
        for (Communicator comm : communicators) {
            Optional<Communicator> remaining = comm.without(lost);
            if (remaining.isPresent()) {
                round.add(remaining.get());
            } else {
                lines.accept(phase + ": " + comm.label() + " left out: "
                        + String.join(", ", comm.nodeNames().stream().filter(lost::contains).toList()) + " lost");
            }
        }
        return round;
    }

    private List<CommRun> runAtOnce(List<Communicator> round) {
        List<CompletableFuture<CommRun>> futures = new ArrayList<>();
        for (Communicator comm : round) {
            Communicator timed = prepared(comm);
            futures.add(CompletableFuture.supplyAsync(() -> runOne.apply(timed), pool));
        }
        List<CommRun> outcomes = new ArrayList<>();
        for (CompletableFuture<CommRun> future : futures) {
            CommRun outcome = future.join();
            recorder.record(outcome);
            outcomes.add(outcome);
        }
        return outcomes;
    }

    /** Every attempt of every communicator of a phase so far, repeats included, in the order they ended. */
    public List<CommRun> outcomes(String phase) {
        return recorder.outcomes(phase);
    }

    /**
     * The slowest bus bandwidth measured so far between nodes, or inside one: what the remaining
     * phases' prediction is revised with. The nominal rate until something was measured.
     */
    public double slowestRate(boolean acrossNodes) {
        return recorder.slowestRate(acrossNodes);
    }

    /** The communicator with its deadline derived from the slowest rate measured where it runs, within the budget. */
    private Communicator withTimeLeft(Communicator comm) {
        return budget.withTimeLeft(comm, slowestRate(comm.members().size() > 1));
    }

    private static String describe(List<Communicator> round) {
        return round.size() == 1 ? round.get(0).label() : round.size() + " communicators at once";
    }

    /** The communicator as it runs: its sizes within its GPUs' memory, its deadline within the budget. */
    private Communicator prepared(Communicator comm) {
        return withTimeLeft(withinMemory(comm));
    }

    /** The communicator with its sizes cut to what its GPUs hold, each cut said once per phase. */
    private Communicator withinMemory(Communicator comm) {
        Optional<BenchNodes.MemoryCut> cut = nodes.withinMemory(comm);
        cut.ifPresent(recorder::memoryCut);
        return cut.map(BenchNodes.MemoryCut::comm).orElse(comm);
    }

    /**
     * Repeats once every communicator that failed among live nodes; see {@link Retries#repeatFailures}.
     */
    public List<CommRun> repeatFailures(String phase, List<CommRun> outcomes) {
        return retries.repeatFailures(phase, outcomes);
    }

    /** Repeats the low measurements once; see {@link Retries#repeatLow}. */
    public List<CommRun> repeatLow(String phase, List<CommRun> outcomes, List<CommRun> low) {
        return retries.repeatLow(phase, outcomes, low);
    }

    /**
     * A result for every communicator that did not complete: FAIL for a hang or wrong data among
     * live nodes (after its repeat), ERROR where a node was lost or the bench itself failed.
     */
    public void reportFailures(List<CommRun> outcomes) {
        recorder.reportFailures(outcomes);
    }

    /** The series of every completed result of these outcomes, and of the other attempt of those repeated. */
    void addSeries(List<CommRun> outcomes) {
        recorder.addSeries(outcomes);
    }

    /** A WARN node check for each suspect, with its evidence. */
    void reportSuspects(String id, String what, String subject, NodeOutliers.Suspects suspects, String remediation) {
        suspectChecks.report(id, what, subject, suspects, remediation);
    }

    /** Port counters around a phase: read before its traffic; their rise judged after. */
    void countersBefore(String phase) {
        counters.before(phase, nodes());
    }

    void countersAfter(String phase) {
        counters.after(phase, nodes()).forEach((node, checks) -> checks.forEach(c -> results.addNodeCheck(node, c)));
    }

    @Override
    public void close() {
        pool.shutdownNow();
        nodes.close();
    }
}
