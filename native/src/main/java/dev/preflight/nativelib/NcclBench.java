package dev.preflight.nativelib;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The CUDA runtime and NCCL, loaded with dlopen by libpreflight.so. One per worker process: the
 * worker drives one GPU and one communicator at a time. The libraries stay loaded until the
 * process exits (NCCL keeps threads that must not outlive its code).
 */
public final class NcclBench implements AutoCloseable {
    public static final int UNIQUE_ID_BYTES = 128;

    private final long handle;
    private final int[] versions;
    private final String[] paths;
    private boolean closed;

    private NcclBench(long handle) {
        this.handle = handle;
        this.versions = versions0(handle);
        this.paths = paths0(handle);
    }

    /**
     * Opens the libraries.
     *
     * @param cudartLibrary the CUDA runtime; null tries libcudart.so.13, .12, .11.0 in turn (one
     *     that reports an insufficient driver is skipped)
     * @param ncclLibrary NCCL; null opens libnccl.so.2
     * @throws BenchException naming the library (and symbol) that could not be loaded
     */
    public static NcclBench open(Path cudartLibrary, Path ncclLibrary) throws BenchException {
        NativeLibrary.load();
        return new NcclBench(open0(cudartLibrary == null ? null : cudartLibrary.toString(),
                ncclLibrary == null ? null : ncclLibrary.toString()));
    }

    /** CUDA runtime version as 1000*major + 10*minor (12040 = 12.4). */
    public int cudaRuntimeVersion() {
        return versions[0];
    }

    /** The highest CUDA version the driver supports, same encoding; 0 without a driver. */
    public int cudaDriverVersion() {
        return versions[1];
    }

    /** NCCL_VERSION code: 21903 = 2.19.3 (2804 = 2.8.4 for releases up to 2.8). */
    public int ncclVersion() {
        return versions[2];
    }

    /** The NCCL version as people write it: "2.19.3". */
    public String ncclVersionString() {
        int code = ncclVersion();
        return code >= 10000
                ? code / 10000 + "." + code / 100 % 100 + "." + code % 100
                : code / 1000 + "." + code / 100 % 10 + "." + code % 100;
    }

    /** The CUDA runtime file that was loaded (a path or a soname). */
    public String cudartLibrary() {
        return paths[0];
    }

    public String ncclLibrary() {
        return paths[1];
    }

    /** Selects the device on the calling thread and describes it. */
    public DeviceInfo device(int index) throws BenchException {
        checkOpen();
        long[] memory = new long[3];
        String pci = device0(handle, index, memory);
        return new DeviceInfo((int) memory[0], pci, memory[1], memory[2]);
    }

    /** A fresh ncclUniqueId; this process hosts NCCL's bootstrap root for it, and it serves one communicator. */
    public byte[] uniqueId() throws BenchException {
        checkOpen();
        return uniqueId0(handle);
    }

    /**
     * Joins a communicator as {@code rank} of {@code nranks} on {@code device}: non-blocking
     * initialisation (NCCL 2.14+) polled until every rank has joined or the timeout passes.
     */
    public NcclCommunicator connect(int device, byte[] uniqueId, int nranks, int rank, Duration timeout)
            throws BenchException {
        checkOpen();
        Objects.requireNonNull(uniqueId, "uniqueId");
        if (uniqueId.length != UNIQUE_ID_BYTES) {
            throw new IllegalArgumentException("uniqueId: " + uniqueId.length + " bytes, expected " + UNIQUE_ID_BYTES);
        }
        if (nranks < 1 || rank < 0 || rank >= nranks) {
            throw new IllegalArgumentException("rank " + rank + " of nranks " + nranks + ": expected 0 <= rank < nranks");
        }
        if (device < 0) {
            throw new IllegalArgumentException("device " + device + ": must be >= 0");
        }
        long nanos = positiveNanos(timeout);
        return new NcclCommunicator(initComm0(handle, device, uniqueId, nranks, rank, nanos), nranks, rank);
    }

    /**
     * Makes the native wait in progress, on whatever thread, abort its communicator and throw
     * {@link BenchException.Kind#ABORTED}; safe to call from any thread at any time.
     */
    public static void requestAbort() {
        NativeLibrary.load();
        requestAbort0();
    }

    /** Clears a request made with {@link #requestAbort()}, before the next communicator. */
    public static void clearAbort() {
        NativeLibrary.load();
        clearAbort0();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            close0(handle);
        }
    }

    private synchronized void checkOpen() {
        if (closed) {
            throw new IllegalStateException("the CUDA/NCCL libraries handle is closed");
        }
    }

    static long positiveNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout + ": must be positive");
        }
        return timeout.compareTo(Duration.ofDays(1)) > 0 ? Duration.ofDays(1).toNanos() : timeout.toNanos();
    }

    private static native long open0(String cudartLibrary, String ncclLibrary) throws BenchException;

    private static native int[] versions0(long handle);

    private static native String[] paths0(long handle);

    private static native String device0(long handle, int device, long[] memory) throws BenchException;

    private static native byte[] uniqueId0(long handle) throws BenchException;

    private static native long initComm0(long handle, int device, byte[] uniqueId, int nranks, int rank,
            long timeoutNanos) throws BenchException;

    /**
     * results: 10 doubles, out-of-place then in-place seconds, wrong, p50, p99, then each
     * placement's own wrong; iterations: null, or 2 * iters doubles that receive each timed
     * iteration's seconds (per_iteration).
     */
    static native boolean run0(long comm, int[] ints, long[] longs, double[] results, double[] iterations)
            throws BenchException;

    static native void destroyComm0(long comm, long timeoutNanos);

    private static native void requestAbort0();

    private static native void clearAbort0();

    private static native void close0(long handle);
}
