package dev.preflight.nativelib;

/**
 * A failed benchmark call, as the native engine reports it: what kind of failure, the CUDA or
 * NCCL call involved, and a message naming the values. Thrown by the natives, so the constructor's
 * signature is part of the JNI contract.
 */
public final class BenchException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Codes shared with pf_kind in pf_bench.h. */
    public enum Kind {
        ERROR(1),
        /** A call did not complete before its deadline; the communicator was aborted. */
        TIMEOUT(2),
        INVALID_ARGUMENT(3),
        /** {@link NcclBench#requestAbort()} interrupted a wait; the communicator was aborted. */
        ABORTED(4);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) {
            for (Kind kind : values()) {
                if (kind.code == code) {
                    return kind;
                }
            }
            return ERROR;
        }
    }

    private final Kind kind;
    private final String call;

    /** Called from C. */
    BenchException(int kind, String call, String message) {
        this(Kind.of(kind), call, message);
    }

    public BenchException(Kind kind, String call, String message) {
        super(message);
        this.kind = kind;
        this.call = call;
    }

    public Kind kind() {
        return kind;
    }

    /** The CUDA or NCCL function involved, e.g. "ncclAllReduce". */
    public String call() {
        return call;
    }
}
