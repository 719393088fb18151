package dev.preflight.nativelib;

import java.time.Duration;

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
     * in-place, each timed after a barrier and validated. Every rank of the communicator must
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
        double[] results = new double[8];
        boolean sampled = NcclBench.run0(handle, ints, longs, results);
        return new Measurement(
                new Placement(results[0], (long) results[1], results[2], results[3]),
                new Placement(results[4], (long) results[5], results[6], results[7]),
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
