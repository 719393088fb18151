package dev.preflight.nativelib;

/** The collectives the engine times. Codes shared with PF_OP_* in pf_bench.h. */
public enum Collective {
    ALL_REDUCE(0),
    ALL_GATHER(1),
    REDUCE_SCATTER(2),
    /** ncclAlltoAll where NCCL has it (2.28+), else grouped ncclSend/ncclRecv to every rank. */
    ALLTOALL(3),
    /** Grouped ncclSend/ncclRecv to one peer and from one peer. */
    SENDRECV(4);

    final int code;

    Collective(int code) {
        this.code = code;
    }
}
