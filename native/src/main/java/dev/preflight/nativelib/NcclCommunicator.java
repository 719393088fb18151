package dev.preflight.nativelib;

import java.time.Duration;
import java.util.Arrays;

/** One NCCL communicator on one GPU, joined by {@link NcclBench#connect}. Not thread-safe: one driving thread. */
public final class NcclCommunicator {
    private final int nranks;
    private final int rank;
    private long handle;

    NcclCommunicator(long handle, int nranks, int rank) {
        this.handle = handle;
        this.nranks = nranks;
        this.rank = rank;
    }

    public int nranks() {
        return nranks;
    }

    public int rank() {
        return rank;
    }

    /**
     * Runs one (op, size) nccl-tests' way, one native call: warm-up, then out-of-place and
     * in-place, each timed after a barrier and validated; with per-iteration timing each placement
     * also carries this rank's time of every iteration. Every rank of the communicator must
     * call this with the same op, dtype, count and iteration settings.
     *
     * @throws BenchException TIMEOUT, ERROR or ABORTED (the communicator is then aborted and
     *     every later call fails), or INVALID_ARGUMENT
     */
    public Measurement run(RunSpec spec) throws BenchException {
        if (handle == 0) {
            throw new IllegalStateException("communicator already closed");
        }
        if (spec.sendPeer() >= nranks || spec.recvPeer() >= nranks) {
            throw new IllegalArgumentException("sendPeer " + spec.sendPeer() + " / recvPeer " + spec.recvPeer()
                    + ": ranks go up to " + (nranks - 1));
        }
        int[] ints = {spec.op().code, spec.dtype().code, spec.iters(), spec.warmupIters(), spec.graphLaunches(),
            spec.perIteration() ? 1 : 0, spec.sendPeer(), spec.recvPeer(), spec.validate() ? 1 : 0, spec.seed()};
        long[] longs = {spec.count(), spec.sendCapacity(), spec.recvCapacity(), spec.validateMaxBytes(),
            NcclBench.positiveNanos(spec.timeout())};
        double[] results = new double[10];
        // out-of-place then in-place, each spec.iters() long (bounded by RunSpec.MAX_PER_ITERATION_ITERS)
        double[] iterations = spec.perIteration() ? new double[2 * spec.iters()] : null;
        boolean sampled = NcclBench.run0(handle, ints, longs, results, iterations);
        double[] outOfPlace = iterations == null ? new double[0] : Arrays.copyOfRange(iterations, 0, spec.iters());
        double[] inPlace = iterations == null ? new double[0] : Arrays.copyOfRange(iterations, spec.iters(), 2 * spec.iters());
        return new Measurement(
                new MeasuredPlacement(results[0], (long) results[1], (long) results[8], results[2], results[3], outOfPlace),
                new MeasuredPlacement(results[4], (long) results[5], (long) results[9], results[6], results[7], inPlace),
                sampled);
    }

    /** Finalizes and destroys the communicator (frees memory only, after an abort). */
    public void close(Duration timeout) {
        if (handle != 0) {
            NcclBench.destroyComm0(handle, NcclBench.positiveNanos(timeout));
            handle = 0;
        }
    }
}
