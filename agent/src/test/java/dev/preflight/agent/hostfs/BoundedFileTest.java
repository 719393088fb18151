package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BoundedFileTest {
    @TempDir
    Path dir;

    @Test
    void aFifoIsRefusedWithoutOpeningIt() throws Exception {
        Path fifo = fifo("limits");
        // open() on a FIFO with no writer would block for ever; the type is looked up first
        BoundedFile.RefusedException refused = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(BoundedFile.RefusedException.class, () -> BoundedFile.readText(fifo, BoundedFile.HOST)));
        assertEquals(BoundedFile.Violation.NOT_A_REGULAR_FILE, refused.violation());
        assertEquals(fifo + ": is a FIFO, socket or device, not a regular file", refused.getMessage());
    }

    @Test
    void aDirectoryOrADeviceIsRefusedByName() {
        BoundedFile.RefusedException directory = assertThrows(BoundedFile.RefusedException.class,
                () -> BoundedFile.readText(dir, BoundedFile.USER));
        assertEquals(dir + ": is a directory, not a regular file", directory.getMessage());
        Path zero = Paths.get("/dev/zero");
        assumeTrue(Files.exists(zero), "no /dev/zero on this machine");
        // /dev/zero never ends: read as a policy it grew the heap to 5.5 GB before
        assertEquals(BoundedFile.Violation.NOT_A_REGULAR_FILE, assertThrows(BoundedFile.RefusedException.class,
                () -> BoundedFile.readBytes(zero, BoundedFile.USER)).violation());
    }

    @Test
    void aFileAtTheByteLimitIsReadAndOneByteMoreIsRefused() throws Exception {
        Path exact = Files.write(dir.resolve("exact"), new byte[100]);
        assertArrayEquals(new byte[100], BoundedFile.readBytes(exact, new BoundedFile.Limits(100, Duration.ofSeconds(5))));
        Path over = Files.write(dir.resolve("over"), new byte[101]);
        BoundedFile.RefusedException refused = assertThrows(BoundedFile.RefusedException.class,
                () -> BoundedFile.readBytes(over, new BoundedFile.Limits(100, Duration.ofSeconds(5))));
        assertEquals(BoundedFile.Violation.TOO_LARGE, refused.violation());
        assertEquals(over + ": is larger than the 100-byte limit", refused.getMessage());
    }

    @Test
    void filesLargerThanOneChunkAreReadWhole() throws Exception {
        byte[] content = new byte[300_000];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) ('a' + i % 26);
        }
        Path file = Files.write(dir.resolve("large"), content);
        assertArrayEquals(content, BoundedFile.readBytes(file, BoundedFile.HOST));
    }

    @Test
    void aReadPastItsTimeLimitIsRefusedAndLeavesNoInterruptBehind() throws Exception {
        // a sparse GiB takes far longer than a millisecond to read, however fast the disk
        Path slow = dir.resolve("sparse");
        try (FileChannel channel = FileChannel.open(slow, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[] {1}), 1L << 30);
        }
        BoundedFile.Limits limits = new BoundedFile.Limits(Integer.MAX_VALUE - 16, Duration.ofMillis(1));
        BoundedFile.RefusedException refused = assertThrows(BoundedFile.RefusedException.class,
                () -> BoundedFile.readBytes(slow, limits));
        assertEquals(BoundedFile.Violation.TOO_SLOW, refused.violation());
        assertEquals(slow + ": did not finish reading within 1 ms (a hung device or filesystem?)", refused.getMessage());
        assertFalse(Thread.currentThread().isInterrupted(), "the watchdog's interrupt must not leak to the caller");
        // and the next read on this thread works
        Path small = Files.writeString(dir.resolve("small"), "ok\n");
        assertEquals("ok\n", BoundedFile.readText(small, BoundedFile.HOST));
    }

    @Test
    void textThatIsNotUtf8IsRefusedNamingTheOffset() throws Exception {
        Path latin1 = Files.write(dir.resolve("policy.yaml"), new byte[] {'a', ':', ' ', (byte) 0xe9, '\n'});
        BoundedFile.RefusedException refused = assertThrows(BoundedFile.RefusedException.class,
                () -> BoundedFile.readText(latin1, BoundedFile.USER));
        assertEquals(latin1 + ": is not UTF-8 text (invalid byte at offset 3)", refused.getMessage());
        // host files are decoded leniently: one stray byte does not cost a check the whole value
        assertEquals("a: \ufffd\n", HostFs.readText(latin1));
    }

    @Test
    void aMissingFileSaysSo() {
        IOException missing = assertThrows(IOException.class, () -> BoundedFile.readText(dir.resolve("none"), BoundedFile.USER));
        assertEquals(dir.resolve("none") + ": no such file", IoErrors.describe(missing));
    }

    private Path fifo(String name) throws Exception {
        Path fifo = dir.resolve(name);
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        } catch (IOException e) {
            assumeTrue(false, "mkfifo is not installed: " + e.getMessage());
            throw e;
        }
        assumeTrue(mkfifo.waitFor() == 0, "mkfifo failed");
        return fifo;
    }
}
