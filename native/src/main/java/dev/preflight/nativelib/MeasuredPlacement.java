package dev.preflight.nativelib;

/**
 * One placement (out-of-place or in-place) of one (op, size) as the engine measured it, in
 * seconds. A worker sends it as {@code WorkerPlacement}; the report's {@code Placement} (time in
 * microseconds, bandwidths, every rank's iterations) is built from those of all ranks.
 *
 * @param seconds time per op, averaged over the ranks taking part (host clock, as nccl-tests)
 * @param wrong elements that differed from the expected result, summed over all ranks; -1 when
 *     not checked (validation off, or in-place alltoall/sendrecv, which nccl-tests does not check)
 * @param ownWrong the wrong elements in this rank's own output, so the ranks that saw corrupted
 *     data can be named; -1 when not checked
 * @param p50Seconds median per-op latency from CUDA events (0 without per-iteration timing)
 * @param p99Seconds 99th percentile per-op latency (0 without per-iteration timing)
 * @param iterationSeconds this rank's time of every timed iteration, in the order they ran, from
 *     CUDA events (empty without per-iteration timing); the caller must not modify it
 */
public record MeasuredPlacement(double seconds, long wrong, long ownWrong, double p50Seconds, double p99Seconds, double[] iterationSeconds) {}
