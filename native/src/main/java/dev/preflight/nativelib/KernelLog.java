package dev.preflight.nativelib;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The kernel log as /dev/kmsg gives it: one record per line, "priority,sequence,microseconds,flags;text".
 * Read without blocking (a plain read blocks once it has caught up), from the start of the ring
 * buffer to its newest record.
 */
public final class KernelLog {
    /** The ring buffer is 128 KiB to a few MiB; this bound keeps a misconfigured path from filling the heap. */
    public static final int MAX_BYTES = 16 * 1024 * 1024;

    private KernelLog() {}

    /**
     * The records of {@code kmsg} (normally /dev/kmsg).
     *
     * @throws IOException naming the path and the reason (no such file; permission denied without
     *     CAP_SYSLOG where kernel.dmesg_restrict=1)
     */
    public static String read(Path kmsg) throws IOException {
        NativeLibrary.load();
        byte[] records = read0(kmsg.toString(), MAX_BYTES);
        return new String(records, StandardCharsets.UTF_8);
    }

    private static native byte[] read0(String device, int maxBytes);
}
