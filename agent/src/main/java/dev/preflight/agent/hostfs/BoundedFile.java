package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The one way preflight reads a file it does not control: the node's /proc, /sys, /dev and /
 * under their movable roots, and the files a user hands over (policy, hostfile, report, plan).
 *
 * <p>Before opening, the path's type is looked up without opening it: only a regular file (which
 * includes the kernel's pseudo-files in /proc and /sys) is read; a FIFO, socket, device or
 * directory is refused by name, because {@code open()} on a FIFO with no writer blocks for ever in
 * the kernel, where no interrupt reaches, and a device such as /dev/zero never ends. Then at most
 * {@link Limits#maxBytes()} are read, and the read is given at most {@link Limits#maxTime()}: a
 * watchdog interrupts the reading thread, which closes the channel and wakes a read the kernel is
 * blocking (a pseudo-file that waits for data, a hung network filesystem), so a timed-out read
 * leaves no thread behind. Each refusal says which rule or limit was hit.
 */
public final class BoundedFile {
    /** How much may be read, and for how long. */
    public record Limits(long maxBytes, Duration maxTime) {
        public Limits {
            if (maxBytes <= 0 || maxBytes > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("maxBytes " + maxBytes + " must be in 1.." + (Integer.MAX_VALUE - 16));
            }
            if (maxTime.isNegative() || maxTime.isZero()) {
                throw new IllegalArgumentException("maxTime " + maxTime + " must be longer than zero");
            }
        }
    }

    /**
     * /proc and /sys values: the largest the checks read are /proc/net/* tables and
     * /proc/self/mountinfo on hosts with thousands of mounts (hundreds of KiB). A kernel pseudo-file
     * answers in microseconds; 5 s is a hung device or filesystem.
     */
    public static final Limits HOST = new Limits(4L * 1024 * 1024, Duration.ofSeconds(5));
    /** Policies, hostfiles, plans, NCCL allowlists: hand-written, a few KiB. */
    public static final Limits USER = new Limits(1024L * 1024, Duration.ofSeconds(10));
    /** A saved report: a full run over a thousand nodes with every sweep is tens of MiB of JSON. */
    public static final Limits REPORT = new Limits(256L * 1024 * 1024, Duration.ofSeconds(60));

    /** Which rule a refused read broke. */
    public enum Violation {
        NOT_A_REGULAR_FILE, TOO_LARGE, TOO_SLOW, NOT_UTF8
    }

    /**
     * A read refused by one of the rules above. An {@link IOException}, so callers that already
     * turn an unreadable file into evidence keep doing so; {@link #getReason()} is the human part.
     */
    public static final class RefusedException extends FileSystemException {
        private static final long serialVersionUID = 1L;
        private final Violation violation;

        RefusedException(Path path, Violation violation, String reason) {
            super(path.toString(), null, reason);
            this.violation = violation;
        }

        public Violation violation() {
            return violation;
        }

        @Override
        public String getMessage() {
            return getFile() + ": " + getReason();
        }
    }

    private static final int CHUNK = 64 * 1024;
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "preflight-read-watchdog");
        thread.setDaemon(true);
        return thread;
    });

    private BoundedFile() {}

    /** The file's bytes, within {@code limits}. */
    public static byte[] readBytes(Path path, Limits limits) throws IOException {
        requireRegularFile(path);
        Watch watch = new Watch(Thread.currentThread());
        ScheduledFuture<?> alarm = WATCHDOG.schedule(watch::fire, limits.maxTime().toNanos(), TimeUnit.NANOSECONDS);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return readAll(path, channel, limits.maxBytes());
        } catch (ClosedByInterruptException e) {
            if (watch.firedAndCleared()) {
                throw new RefusedException(path, Violation.TOO_SLOW,
                        "did not finish reading within " + limits.maxTime().toMillis() + " ms (a hung device or filesystem?)");
            }
            throw e;
        } finally {
            alarm.cancel(false);
            if (watch.finish()) {
                // the watchdog fired just as the read completed: the content is whole, drop the interrupt
                Thread.interrupted();
            }
        }
    }

    /** The file as UTF-8 text, within {@code limits}; bytes that are not UTF-8 are refused, by offset. */
    public static String readText(Path path, Limits limits) throws IOException {
        return decode(path, readBytes(path, limits));
    }

    /** Refuses anything but a regular file, looked up without opening it (a FIFO's open would block). */
    public static void requireRegularFile(Path path) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new RefusedException(path, Violation.NOT_A_REGULAR_FILE, "is " + kind(attributes) + ", not a regular file");
        }
    }

    static String decode(Path path, byte[] bytes) throws IOException {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new RefusedException(path, Violation.NOT_UTF8, "is not UTF-8 text (invalid byte at offset "
                    + firstInvalidOffset(bytes) + ")");
        }
    }

    private static byte[] readAll(Path path, FileChannel channel, long maxBytes) throws IOException {
        // one byte past the cap tells "exactly at the cap" from "larger"; /proc files report size 0,
        // so the read goes by stream, never by the size stat() gives
        ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(maxBytes + 1, CHUNK));
        while (true) {
            if (!buffer.hasRemaining()) {
                if (buffer.capacity() > maxBytes) {
                    throw new RefusedException(path, Violation.TOO_LARGE, "is larger than the " + maxBytes + "-byte limit");
                }
                ByteBuffer larger = ByteBuffer.allocate((int) Math.min(maxBytes + 1, (long) buffer.capacity() * 2));
                buffer.flip();
                larger.put(buffer);
                buffer = larger;
            }
            if (channel.read(buffer) < 0) {
                break;
            }
        }
        byte[] bytes = new byte[buffer.position()];
        buffer.flip();
        buffer.get(bytes);
        return bytes;
    }

    private static String kind(BasicFileAttributes attributes) {
        if (attributes.isDirectory()) {
            return "a directory";
        }
        if (attributes.isSymbolicLink()) {
            return "a symbolic link";
        }
        // BasicFileAttributes calls FIFOs, sockets and devices "other"; all block or never end
        return "a FIFO, socket or device";
    }

    private static int firstInvalidOffset(byte[] bytes) {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        decoder.decode(in, out, true);
        return in.position();
    }

    /** The watchdog's handshake with the reader, so an interrupt meant for a late read never leaks out. */
    private static final class Watch {
        private static final int READING = 0;
        private static final int DONE = 1;
        private static final int FIRED = 2;
        private final Thread reader;
        private int state = READING;

        Watch(Thread reader) {
            this.reader = reader;
        }

        synchronized void fire() {
            if (state == READING) {
                state = FIRED;
                reader.interrupt();
            }
        }

        /** True once if the watchdog fired; the interrupt it sent is cleared. */
        synchronized boolean firedAndCleared() {
            if (state == FIRED) {
                state = DONE;
                Thread.interrupted();
                return true;
            }
            return false;
        }

        /** Ends the watch; true when the watchdog fired and its interrupt is still pending. */
        synchronized boolean finish() {
            boolean fired = state == FIRED;
            state = DONE;
            return fired;
        }
    }
}
