package dev.preflight.agent.bench;

import dev.preflight.proto.v1.BenchSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * nccl-tests' size conventions and bandwidth formulas (src/*.cu GetCollByteCount and GetBw), so a
 * row here reads like the same row of nccl-tests.
 *
 * @param sizeBytes the "size (B)" column
 * @param count the "count (elements)" column, which is also NCCL's count argument
 * @param sendBytes what one rank sends
 * @param recvBytes what one rank receives
 */
public record CollectiveSizes(long sizeBytes, long count, long sendBytes, long recvBytes) {

    /** The sizes nccl-tests visits: min, min*factor, ... while not above max (min >= 1, factor >= 2). */
    public static List<Long> sweep(long minBytes, long maxBytes, int stepFactor) {
        if (minBytes < 1 || stepFactor < 2) {
            throw new IllegalArgumentException("sweep needs min >= 1 and factor >= 2, got " + minBytes + ", " + stepFactor);
        }
        List<Long> sizes = new ArrayList<>();
        long size = minBytes;
        while (size <= maxBytes) {
            sizes.add(size);
            if (size > Long.MAX_VALUE / stepFactor) {
                break;
            }
            size *= stepFactor;
        }
        return sizes;
    }

    /** For a requested size in bytes, as nccl-tests computes it for the op on nranks ranks. */
    public static CollectiveSizes of(BenchSpec.Op op, BenchSpec.DataType dtype, long bytes, int nranks) {
        int elt = elementBytes(dtype);
        long count = bytes / elt;
        switch (op) {
            case ALL_REDUCE:
            case SENDRECV:
                return new CollectiveSizes(count * elt, count, count * elt, count * elt);
            case ALL_GATHER:
            case REDUCE_SCATTER:
            case ALLTOALL: {
                // per-rank count rounded down to 16 bytes, as nccl-tests' base
                long base = (count / nranks) & ~(16L / elt - 1);
                long all = base * nranks * elt;
                long one = base * elt;
                if (op == BenchSpec.Op.ALL_GATHER) {
                    return new CollectiveSizes(all, base, one, all);
                }
                if (op == BenchSpec.Op.REDUCE_SCATTER) {
                    return new CollectiveSizes(all, base, all, one);
                }
                return new CollectiveSizes(all, base, all, all);
            }
            default:
                throw new IllegalArgumentException("op " + op + " is not a benchmarked collective");
        }
    }

    /** Bus bandwidth per algorithm bandwidth: nccl-tests' factors (doc/PERFORMANCE.md). */
    public static double busBandwidthFactor(BenchSpec.Op op, int nranks) {
        switch (op) {
            case ALL_REDUCE:
                return 2.0 * (nranks - 1) / nranks;
            case ALL_GATHER:
            case REDUCE_SCATTER:
            case ALLTOALL:
                return (double) (nranks - 1) / nranks;
            case SENDRECV:
                return 1.0;
            default:
                throw new IllegalArgumentException("op " + op + " is not a benchmarked collective");
        }
    }

    /** Algorithm bandwidth in GB/s (1 GB = 1e9 bytes) for this size moved in the given seconds. */
    public double algorithmBandwidth(double seconds) {
        return seconds > 0 ? sizeBytes / 1.0e9 / seconds : 0;
    }

    public static int elementBytes(BenchSpec.DataType dtype) {
        switch (dtype) {
            case FLOAT32:
                return 4;
            case FLOAT16:
            case BFLOAT16:
                return 2;
            default:
                throw new IllegalArgumentException("dtype " + dtype + " is not a benchmarked type");
        }
    }
}
