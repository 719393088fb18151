package dev.preflight.agent.gpu;

/** A GPU source could not answer: unavailable here (fall through quietly), or failed (fall through, and say so). */
public final class GpuSourceException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean unavailable;

    private GpuSourceException(String message, boolean unavailable, Throwable cause) {
        super(message, cause);
        this.unavailable = unavailable;
    }

    /** The source is not usable on this node: library or command missing, driver not loaded. */
    public static GpuSourceException unavailable(String message) {
        return new GpuSourceException(message, true, null);
    }

    /** The source ran but its answer cannot be used: a call failed, output did not parse. */
    public static GpuSourceException failed(String message, Throwable cause) {
        return new GpuSourceException(message, false, cause);
    }

    public boolean isUnavailable() {
        return unavailable;
    }
}
