package dev.preflight.nativelib;

/** Element types the engine benchmarks. Codes shared with PF_DTYPE_* in pf_bench.h. */
public enum DataType {
    FLOAT32(0, 4),
    FLOAT16(1, 2),
    BFLOAT16(2, 2);

    final int code;
    private final int bytes;

    DataType(int code, int bytes) {
        this.code = code;
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }
}
