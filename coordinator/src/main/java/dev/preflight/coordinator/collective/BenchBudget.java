package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The bench phases' time budget: its clock starts with the first phase, no collective starts with
 * less than {@link #MIN_TIME_LEFT} of it left, and no collective's deadline outlives it.
 */
final class BenchBudget {
    /** A collective is not started with less of the budget left than this. */
    static final Duration MIN_TIME_LEFT = Duration.ofSeconds(10);

    private final BenchSettings settings;
    private final Clock clock;
    private Instant deadline;

    BenchBudget(BenchSettings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
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
