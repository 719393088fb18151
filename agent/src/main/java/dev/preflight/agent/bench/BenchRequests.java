package dev.preflight.agent.bench;

import com.google.protobuf.Duration;
import dev.preflight.nativelib.NcclBench;
import dev.preflight.nativelib.RunSpec;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.PeerPair;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Bounds on what a bench request may ask, checked before anything starts. Each failure is one
 * IllegalArgumentException naming the field, the value and what is accepted.
 */
final class BenchRequests {
    static final int MAX_GPUS = 64;
    static final int MAX_NRANKS = 65536;
    static final int MAX_SIZES = 64;
    static final long MAX_BYTES = 1L << 40;
    static final int MAX_ITERS = 1_000_000;
    static final int MAX_GRAPH_LAUNCHES = 100_000;
    /** per-iteration timing keeps a CUDA event and a time per op and placement (RunSpec's bound) */
    static final int MAX_PER_ITERATION_ITERS = RunSpec.MAX_PER_ITERATION_ITERS;
    /**
     * Per-iteration times a rank keeps over a whole sweep, per placement: iters x sizes x ops x
     * dtypes. At 8 bytes each that is at most 2 MiB per rank for both placements, 16 MiB for an
     * agent of 8 GPUs, in the results the agent returns.
     */
    static final int MAX_PER_ITERATION_SAMPLES = 131_072;
    static final long MIN_TIMEOUT_SECONDS = 1;
    static final long MAX_TIMEOUT_SECONDS = 24 * 3600;
    static final long MAX_TTL_SECONDS = 3600;
    static final int MAX_BENCH_RUN_CHARS = 64;

    private BenchRequests() {}

    static void gpus(String field, List<Integer> gpus) {
        if (gpus.size() > MAX_GPUS) {
            throw new IllegalArgumentException(field + ": " + gpus.size() + " GPUs, at most " + MAX_GPUS);
        }
        Set<Integer> seen = new HashSet<>();
        for (int gpu : gpus) {
            if (gpu < 0 || gpu >= MAX_GPUS) {
                throw new IllegalArgumentException(field + ": GPU " + gpu + " is not a device index 0.." + (MAX_GPUS - 1));
            }
            if (!seen.add(gpu)) {
                throw new IllegalArgumentException(field + ": GPU " + gpu + " is listed twice");
            }
        }
    }

    /** A coordinator's run id: short and plain, since it is written into the node's lock file. */
    static String benchRun(String run) {
        if (run.length() > MAX_BENCH_RUN_CHARS || !run.matches("[A-Za-z0-9._:-]*")) {
            throw new IllegalArgumentException("bench_run: '" + run + "', expected at most " + MAX_BENCH_RUN_CHARS
                    + " of A-Z a-z 0-9 . _ : -");
        }
        return run;
    }

    static long ttlSeconds(Duration ttl) {
        if (ttl.getSeconds() == 0 && ttl.getNanos() == 0) {
            return 60;
        }
        if (ttl.getSeconds() < 1 || ttl.getSeconds() > MAX_TTL_SECONDS) {
            throw new IllegalArgumentException("ttl: " + ttl.getSeconds() + " s, expected 1.." + MAX_TTL_SECONDS + " s");
        }
        return ttl.getSeconds();
    }

    static void spec(BenchSpec spec, int nranks) {
        if (spec.getOpsCount() == 0) {
            throw new IllegalArgumentException("spec.ops: empty, expected one or more of all_reduce, all_gather, "
                    + "reduce_scatter, alltoall, sendrecv");
        }
        Set<BenchSpec.Op> ops = EnumSet.noneOf(BenchSpec.Op.class);
        for (BenchSpec.Op op : spec.getOpsList()) {
            if (op == BenchSpec.Op.OP_UNSPECIFIED || op == BenchSpec.Op.UNRECOGNIZED || !ops.add(op)) {
                throw new IllegalArgumentException("spec.ops: " + op + " is unspecified, unknown or repeated");
            }
        }
        if (spec.getDtypesCount() == 0) {
            throw new IllegalArgumentException("spec.dtypes: empty, expected one or more of float32, float16, bfloat16");
        }
        Set<BenchSpec.DataType> dtypes = EnumSet.noneOf(BenchSpec.DataType.class);
        for (BenchSpec.DataType dtype : spec.getDtypesList()) {
            if (dtype == BenchSpec.DataType.DATA_TYPE_UNSPECIFIED || dtype == BenchSpec.DataType.UNRECOGNIZED
                    || !dtypes.add(dtype)) {
                throw new IllegalArgumentException("spec.dtypes: " + dtype + " is unspecified, unknown or repeated");
            }
        }
        if (spec.getMinBytes() < 1) {
            throw new IllegalArgumentException("spec.min_bytes: " + spec.getMinBytes() + ", expected >= 1");
        }
        if (spec.getMaxBytes() < spec.getMinBytes() || spec.getMaxBytes() > MAX_BYTES) {
            throw new IllegalArgumentException("spec.max_bytes: " + spec.getMaxBytes() + ", expected "
                    + spec.getMinBytes() + ".." + MAX_BYTES + " (min_bytes..1 TiB)");
        }
        if (spec.getStepFactor() < 2 || spec.getStepFactor() > 1024) {
            throw new IllegalArgumentException("spec.step_factor: " + spec.getStepFactor() + ", expected 2..1024");
        }
        int sizes = CollectiveSizes.sweep(spec.getMinBytes(), spec.getMaxBytes(), spec.getStepFactor()).size();
        if (sizes > MAX_SIZES) {
            throw new IllegalArgumentException("spec.min_bytes..max_bytes: " + sizes + " sizes, at most " + MAX_SIZES);
        }
        if (spec.getIters() < 1 || spec.getIters() > MAX_ITERS) {
            throw new IllegalArgumentException("spec.iters: " + spec.getIters() + ", expected 1.." + MAX_ITERS);
        }
        if (spec.getWarmupIters() < 0 || spec.getWarmupIters() > MAX_ITERS) {
            throw new IllegalArgumentException("spec.warmup_iters: " + spec.getWarmupIters() + ", expected 0.." + MAX_ITERS);
        }
        if (spec.getGraphLaunches() < 0 || spec.getGraphLaunches() > MAX_GRAPH_LAUNCHES) {
            throw new IllegalArgumentException("spec.graph_launches: " + spec.getGraphLaunches() + ", expected 0.."
                    + MAX_GRAPH_LAUNCHES);
        }
        if (spec.getPerIteration() && spec.getGraphLaunches() > 0) {
            throw new IllegalArgumentException("spec.per_iteration: cannot be combined with graph_launches (CUDA "
                    + "events cannot sit between captured ops)");
        }
        if (spec.getPerIteration() && spec.getIters() > MAX_PER_ITERATION_ITERS) {
            throw new IllegalArgumentException("spec.iters: " + spec.getIters() + " with per_iteration, at most "
                    + MAX_PER_ITERATION_ITERS);
        }
        long samples = (long) spec.getIters() * sizes * ops.size() * dtypes.size();
        if (spec.getPerIteration() && samples > MAX_PER_ITERATION_SAMPLES) {
            throw new IllegalArgumentException("spec.iters x sizes x ops x dtypes: " + samples
                    + " per-iteration times per rank with per_iteration, at most " + MAX_PER_ITERATION_SAMPLES);
        }
        if (spec.getValidateMaxBytes() < 0) {
            throw new IllegalArgumentException("spec.validate_max_bytes: " + spec.getValidateMaxBytes() + ", expected >= 0");
        }
        peerPairs(spec, ops, nranks);
        if (!spec.hasTimeout() || spec.getTimeout().getSeconds() < MIN_TIMEOUT_SECONDS
                || spec.getTimeout().getSeconds() > MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("spec.timeout: " + (spec.hasTimeout() ? spec.getTimeout().getSeconds()
                    + " s" : "missing") + ", expected " + MIN_TIMEOUT_SECONDS + ".." + MAX_TIMEOUT_SECONDS + " s");
        }
    }

    private static void peerPairs(BenchSpec spec, Set<BenchSpec.Op> ops, int nranks) {
        if (spec.getPeerPairsCount() == 0) {
            return;
        }
        if (!ops.contains(BenchSpec.Op.SENDRECV)) {
            throw new IllegalArgumentException("spec.peer_pairs: apply to the sendrecv op only, which the spec does not run");
        }
        Set<Integer> senders = new HashSet<>();
        Set<Integer> receivers = new HashSet<>();
        for (PeerPair pair : spec.getPeerPairsList()) {
            String shown = pair.getSender() + ":" + pair.getReceiver();
            if (pair.getSender() < 0 || pair.getSender() >= nranks || pair.getReceiver() < 0
                    || pair.getReceiver() >= nranks) {
                throw new IllegalArgumentException("spec.peer_pairs: " + shown + " names a rank outside 0.." + (nranks - 1));
            }
            if (!senders.add(pair.getSender())) {
                throw new IllegalArgumentException("spec.peer_pairs: rank " + pair.getSender() + " sends twice");
            }
            if (!receivers.add(pair.getReceiver())) {
                throw new IllegalArgumentException("spec.peer_pairs: rank " + pair.getReceiver() + " receives twice");
            }
        }
    }

    static void communicator(byte[] commId, int nranks, int rankOffset) {
        if (commId.length != NcclBench.UNIQUE_ID_BYTES) {
            throw new IllegalArgumentException("comm_id: " + commId.length + " bytes, expected "
                    + NcclBench.UNIQUE_ID_BYTES + " (an ncclUniqueId from CreateCommId)");
        }
        if (nranks < 1 || nranks > MAX_NRANKS) {
            throw new IllegalArgumentException("nranks: " + nranks + ", expected 1.." + MAX_NRANKS);
        }
        if (rankOffset < 0 || rankOffset >= nranks) {
            throw new IllegalArgumentException("rank_offset: " + rankOffset + ", expected 0.." + (nranks - 1));
        }
    }
}
