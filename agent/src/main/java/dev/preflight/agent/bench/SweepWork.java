package dev.preflight.agent.bench;

import dev.preflight.proto.v1.BenchSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * What the engine runs for a spec, the one account of it that predictions count: the sizes of every
 * (op, dtype) as the worker's requests carry them ({@link CollectiveSweep#plan}), and for each size
 * the collectives the engine's run (pf_comm_run) launches. Per size: the warm-up iterations once;
 * then out-of-place and in-place in turn, each one untimed op, the timed iterations (with CUDA
 * graphs, the iterations captured times the launches) and, where the placement is validated, one
 * more op; besides those, small all-reduces that synchronise the ranks: a barrier before each
 * placement's timed loop and one reduction of the statistics.
 *
 * @param bytes the size moved ("size (B)", nccl-tests' column, which bus bandwidth is computed from)
 * @param launches how many collectives of that size run
 * @param syncs how many small synchronising all-reduces run besides
 */
public record SweepWork(BenchSpec.Op op, long bytes, long launches, int syncs) {
    /** A barrier per placement (out-of-place, in-place) and one reduction of the statistics. */
    static final int SYNCS_PER_SIZE = 3;

    /** Every size of every (op, dtype) of the spec on nranks ranks, in the order the engine runs them. */
    public static List<SweepWork> of(BenchSpec spec, int nranks) {
        long timed = spec.getGraphLaunches() > 0 ? (long) spec.getIters() * spec.getGraphLaunches() : spec.getIters();
        List<SweepWork> work = new ArrayList<>();
        for (CollectiveSweep.Plan plan : CollectiveSweep.plan(spec, nranks)) {
            long validations = spec.getNoValidation() ? 0 : inPlaceChecked(plan.op()) ? 2 : 1;
            long launches = spec.getWarmupIters() + 2 * (1 + timed) + validations;
            for (CollectiveSizes sizes : plan.sizes()) {
                work.add(new SweepWork(plan.op(), sizes.sizeBytes(), launches, SYNCS_PER_SIZE));
            }
        }
        return work;
    }

    /** nccl-tests does not check in-place all-to-all and send/recv (send and receive share a buffer), nor does the engine. */
    static boolean inPlaceChecked(BenchSpec.Op op) {
        return op != BenchSpec.Op.ALLTOALL && op != BenchSpec.Op.SENDRECV;
    }
}
