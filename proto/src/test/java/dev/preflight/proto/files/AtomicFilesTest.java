package dev.preflight.proto.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheWholeFileAndLeavesNoTemporaryBeside() throws IOException {
        Path target = dir.resolve("preflight.prom");
        Files.writeString(target, "old content that is longer than the new one\n");

        AtomicFiles.write(target, "new\n");

        assertEquals("new\n", Files.readString(target));
        assertEquals(List.of(target), listing(dir));
    }

    @Test
    void createsTheMissingDirectories() throws IOException {
        Path target = dir.resolve("reports/run-1/preflight.json");

        AtomicFiles.write(target, "{}");

        assertEquals("{}", Files.readString(target));
    }

    @Test
    void writesBytesUnchanged() throws IOException {
        byte[] content = {0, (byte) 0xff, 10, 13, 'x'};
        Path target = dir.resolve("blob");

        AtomicFiles.write(target, content);

        assertArrayEquals(content, Files.readAllBytes(target));
    }

    @Test
    void aTargetThatIsADirectoryKeepsItAndCleansUp() throws IOException {
        Path target = Files.createDirectories(dir.resolve("taken"));
        Files.writeString(target.resolve("inside"), "kept");

        assertThrows(IOException.class, () -> AtomicFiles.write(target, "x"));

        assertEquals("kept", Files.readString(target.resolve("inside")));
        assertEquals(List.of(target), listing(dir));
    }

    private static List<Path> listing(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.sorted().toList();
        }
    }
}
