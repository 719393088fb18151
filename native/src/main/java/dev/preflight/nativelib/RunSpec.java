package dev.preflight.nativelib;

import java.time.Duration;
import java.util.Objects;

/**
 * What to run for one (op, size): validated here, before any native call.
 *
 * @param count NCCL's count argument (see pf_run_params in pf_bench.h)
 * @param sendCapacity device send buffer to allocate, bytes (the sweep's largest)
 * @param recvCapacity device receive buffer to allocate, bytes
 * @param graphLaunches 0, or capture {@code iters} ops in a CUDA graph and launch it this often
 * @param sendPeer sendrecv: the rank to send to, -1 for none
 * @param recvPeer sendrecv: the rank to receive from, -1 for none
 * @param validateMaxBytes check every output element up to this many bytes per rank, sampled stripes above
 * @param timeout deadline for the whole call
 */
public record RunSpec(Collective op, DataType dtype, long count, long sendCapacity, long recvCapacity, int iters,
        int warmupIters, int graphLaunches, boolean perIteration, int sendPeer, int recvPeer, boolean validate,
        long validateMaxBytes, int seed, Duration timeout) {
    /**
     * Per-iteration timing keeps a CUDA event and two doubles (out-of-place, in-place) per timed
     * iteration: at most 100,000 iterations, 1.6 MB of times per call.
     */
    public static final int MAX_PER_ITERATION_ITERS = 100_000;

    public RunSpec {
        Objects.requireNonNull(op, "op");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(timeout, "timeout");
        require(count >= 0, "count", count, "must be >= 0");
        require(sendCapacity >= 0, "sendCapacity", sendCapacity, "must be >= 0");
        require(recvCapacity >= 0, "recvCapacity", recvCapacity, "must be >= 0");
        require(iters >= 1, "iters", iters, "must be >= 1");
        require(warmupIters >= 0, "warmupIters", warmupIters, "must be >= 0");
        require(graphLaunches >= 0, "graphLaunches", graphLaunches, "must be >= 0");
        require(!(perIteration && graphLaunches > 0), "perIteration", perIteration,
                "cannot be combined with CUDA graphs (events cannot sit between captured ops)");
        require(!perIteration || iters <= MAX_PER_ITERATION_ITERS, "iters", iters,
                "must be <= " + MAX_PER_ITERATION_ITERS + " with per-iteration timing");
        require(sendPeer >= -1, "sendPeer", sendPeer, "must be a rank or -1");
        require(recvPeer >= -1, "recvPeer", recvPeer, "must be a rank or -1");
        require(op == Collective.SENDRECV || (sendPeer == -1 && recvPeer == -1), "sendPeer", sendPeer,
                "applies to SENDRECV only");
        require(validateMaxBytes >= 0, "validateMaxBytes", validateMaxBytes, "must be >= 0");
        require(!timeout.isNegative() && !timeout.isZero(), "timeout", timeout, "must be positive");
    }

    private static void require(boolean ok, String field, Object value, String expectation) {
        if (!ok) {
            throw new IllegalArgumentException(field + " " + value + ": " + expectation);
        }
    }
}
