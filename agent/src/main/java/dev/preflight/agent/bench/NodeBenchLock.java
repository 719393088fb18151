package dev.preflight.agent.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * The node-wide bench lock: an exclusive lock on DIR/bench.lock, so two agents on one node (a
 * rolling update, a second DaemonSet) never bench at once. The kernel drops the lock when the
 * holding process dies, so a crashed agent never wedges the node. The file names the holder.
 */
public final class NodeBenchLock implements AutoCloseable {
    public static final String FILE_NAME = "bench.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private NodeBenchLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock, or empty with the holder described in {@code busy} when another bench holds it. */
    public static Optional<NodeBenchLock> tryAcquire(Path dir, String holder, StringBuilder busy) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(FILE_NAME);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String current = Files.readString(file, StandardCharsets.UTF_8).strip();
            busy.append(file).append(" is held").append(current.isEmpty() ? "" : " by " + current);
            channel.close();
            return Optional.empty();
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((holder + ", pid " + ProcessHandle.current().pid() + ", since " + Instant.now())
                .getBytes(StandardCharsets.UTF_8)), 0);
        return Optional.of(new NodeBenchLock(channel, lock));
    }

    @Override
    public void close() throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        try {
            channel.truncate(0);
            lock.release();
        } finally {
            channel.close();
        }
    }
}
