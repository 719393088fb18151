package dev.preflight.proto.nccltests;

import dev.preflight.proto.v1.BenchSpec;

/**
 * nccl-tests' names for a bench's op and data type: the agent prints the nccl-tests command that
 * reproduces a measurement and the reports write nccl-tests' JSON file, and both must name the
 * same binary and -d type.
 */
public final class NcclTestsNames {
    private NcclTestsNames() {}

    /** nccl-tests' -d names, as its type column prints them: float, half, bfloat16. */
    public static String dtype(BenchSpec.DataType dtype) {
        switch (dtype) {
            case FLOAT16:
                return "half";
            case BFLOAT16:
                return "bfloat16";
            default:
                return "float";
        }
    }

    /** The nccl-tests binary that runs the op. */
    public static String binary(BenchSpec.Op op) {
        switch (op) {
            case ALL_REDUCE:
                return "all_reduce_perf";
            case ALL_GATHER:
                return "all_gather_perf";
            case REDUCE_SCATTER:
                return "reduce_scatter_perf";
            case ALLTOALL:
                return "alltoall_perf";
            default:
                return "sendrecv_perf";
        }
    }
}
