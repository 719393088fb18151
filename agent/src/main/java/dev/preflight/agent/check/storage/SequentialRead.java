package dev.preflight.agent.check.storage;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * A bounded sequential read of the store's weight files, the way an engine loads them: large reads,
 * one file after another. O_DIRECT bypasses the page cache where the filesystem allows it (a store
 * read once is otherwise served from memory the second time); where it does not (tmpfs, some FUSE
 * filesystems), the read goes through the cache and says so.
 */
public final class SequentialRead {
    /** What was read, how long it took, and whether the page cache was bypassed. */
    public record Result(long bytes, long nanos, boolean direct, int files) {
        public double bytesPerSecond() {
            return nanos == 0 ? 0 : bytes * 1e9 / nanos;
        }
    }

    static final int BUFFER_BYTES = 4 * 1024 * 1024;

    private SequentialRead() {}

    /** Reads up to {@code limit} bytes from the files in order; stops early when the thread is interrupted. */
    public static Result read(List<Path> files, long limit) throws IOException {
        long total = 0;
        long start = System.nanoTime();
        boolean direct = true;
        int opened = 0;
        for (Path file : files) {
            if (total >= limit || Thread.currentThread().isInterrupted()) {
                break;
            }
            opened++;
            long remaining = limit - total;
            long read;
            try (FileChannel channel = open(file, true)) {
                read = drain(channel, remaining, Math.max(4096, Files.getFileStore(file).getBlockSize()));
            } catch (IOException | UnsupportedOperationException e) {
                // EINVAL from open or the first read: the filesystem takes no O_DIRECT.
                direct = false;
                try (FileChannel channel = open(file, false)) {
                    read = drain(channel, remaining, 1);
                }
            }
            total += read;
        }
        return new Result(total, System.nanoTime() - start, direct && opened > 0, opened);
    }

    private static FileChannel open(Path file, boolean direct) throws IOException {
        OpenOption[] options = direct ? new OpenOption[] {StandardOpenOption.READ, ExtendedOpenOption.DIRECT}
                : new OpenOption[] {StandardOpenOption.READ};
        return FileChannel.open(file, options);
    }

    private static long drain(FileChannel channel, long limit, long alignment) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES + (int) alignment).alignedSlice((int) alignment);
        long total = 0;
        while (total < limit) {
            buffer.clear();
            long want = Math.min(buffer.capacity(), limit - total);
            // Direct I/O needs whole blocks; the last read of a file may still come back short.
            buffer.limit((int) (alignment > 1 ? Math.max(alignment, (want + alignment - 1) / alignment * alignment) : want));
            int n = channel.read(buffer);
            if (n <= 0) {
                break;
            }
            total += Math.min(n, limit - total);
        }
        return total;
    }
}
