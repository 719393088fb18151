package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bench phases' time budget: its clock starts with the first phase, no collective starts with
 * less than {@link #MIN_TIME_LEFT} of it left, no collective's deadline outlives it, and phases
 * predicted not to fit in what is left are cut, in {@link BenchPrediction#CUT_ORDER}.
 */
public final class BenchBudget {
    /** A collective is not started with less of the budget left than this. */
    static final Duration MIN_TIME_LEFT = Duration.ofSeconds(10);

    /** A phase cut to keep to the budget, and what the phases still to run are then predicted to take. */
    public record Cut(String phase, Duration rest) {}

    private final BenchSettings settings;
    private final Clock clock;
    private Instant deadline;

    BenchBudget(BenchSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /**
     * Cuts phases, in {@link BenchPrediction#CUT_ORDER}, while the prediction of those still to run
     * exceeds the time left; a phase not in that order is never cut.
     *
     * @param perPhase each phase still to run with its prediction; the phases cut are removed from it
     * @return the phases cut, in the order they were
     */
    public static List<Cut> cut(Map<String, Duration> perPhase, Duration left) {
        List<Cut> cuts = new ArrayList<>();
        Duration total = predicted(perPhase);
        for (String phase : BenchPrediction.CUT_ORDER) {
            if (total.compareTo(left) <= 0) {
                break;
            }
            if (perPhase.remove(phase) != null) {
                total = predicted(perPhase);
                cuts.add(new Cut(phase, total));
            }
        }
        return cuts;
    }

    /** What the phases still to run are predicted to take, one after another. */
    public static Duration predicted(Map<String, Duration> perPhase) {
        Duration total = Duration.ZERO;
        for (Duration d : perPhase.values()) {
            total = total.plus(d);
        }
        return total;
    }

    /** Starts the budget's clock: the bench phases begin. */
    synchronized void start() {
        if (deadline == null) {
            deadline = clock.instant().plus(settings.budget());
        }
    }

    synchronized Duration remaining() {
        start();
        return Duration.between(clock.instant(), deadline);
    }

    boolean spent() {
        return remaining().compareTo(MIN_TIME_LEFT) < 0;
    }

    /**
     * @param round the rounds of the phase already run, 0 before its first
     * @throws BudgetSpent when too little of the budget is left to start another round
     */
    void require(String phase, int round, int rounds) {
        if (spent()) {
            throw new BudgetSpent("the time budget of " + Estimate.format(settings.budget()) + " ran out"
                    + (round > 0 ? " after " + round + " of " + rounds + " rounds" : " before " + phase + " started"));
        }
    }

    /**
     * The spec's deadline derived again from the slowest link measured so far (a slow link is not a
     * hang; unless --collective-timeout fixed it), and cut to what is left of the budget, so no
     * collective outlives it.
     *
     * @param slowestRate the slowest bus bandwidth measured so far where the communicator runs
     *     (between nodes, or inside one)
     */
    Communicator withTimeLeft(Communicator comm, double slowestRate) {
        long seconds = comm.spec().getTimeout().getSeconds();
        if (settings.collectiveTimeout().isEmpty()) {
            boolean across = comm.members().size() > 1;
            seconds = Estimate.timeout(comm.spec(), comm.layout().nranks(), across, slowestRate,
                    settings.profile().maxCollectiveTimeout()).toSeconds();
        }
        seconds = Math.min(seconds, Math.max(MIN_TIME_LEFT.toSeconds(), remaining().toSeconds()));
        if (comm.spec().getTimeout().getSeconds() == seconds) {
            return comm;
        }
        BenchSpec spec = comm.spec().toBuilder()
                .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(seconds)).build();
        return new Communicator(comm.phase(), comm.label(), comm.kind(), comm.rail(), comm.members(), spec, comm.attempt());
    }
}
