package dev.preflight.agent.gpu;

/** An NVML call returned an error: the function, NVML's code and its own text (nvmlErrorString). */
public final class NvmlException extends Exception {
    private static final long serialVersionUID = 1L;

    public static final int INVALID_ARGUMENT = 2;
    public static final int NOT_SUPPORTED = 3;
    public static final int NO_PERMISSION = 4;
    public static final int INSUFFICIENT_SIZE = 7;
    public static final int DRIVER_NOT_LOADED = 9;
    public static final int GPU_IS_LOST = 15;

    private final String function;
    private final int code;

    public NvmlException(String function, int code, String text) {
        super(function + ": " + text + " (NVML error " + code + ")");
        this.function = function;
        this.code = code;
    }

    public String function() {
        return function;
    }

    public int code() {
        return code;
    }

    /** The GPU or driver cannot answer this question; an absent fact, not a fault. */
    public boolean notSupported() {
        return code == NOT_SUPPORTED || code == INVALID_ARGUMENT;
    }
}
