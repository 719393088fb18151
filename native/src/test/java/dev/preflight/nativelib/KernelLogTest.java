package dev.preflight.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelLogTest {

    @Test
    void readsAFileToItsEndWithoutBlocking(@TempDir Path dir) throws IOException {
        Path records = dir.resolve("kmsg");
        String text = "6,1,0,-;Linux version 6.1.0\n4,2,5000000,-;NVRM: loading NVIDIA UNIX x86_64 Kernel Module\n";
        Files.write(records, text.getBytes(StandardCharsets.UTF_8));
        assertEquals(text, KernelLog.read(records));
    }

    @Test
    void theRealRingBufferIsReadToItsNewestRecordAndReturns() throws IOException {
        Path kmsg = Paths.get("/dev/kmsg");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(kmsg), "/dev/kmsg is not readable here");
        String records = KernelLog.read(kmsg);
        assertTrue(records.isEmpty() || records.matches("(?s)\\d+,\\d+,\\d+,.*"), records.substring(0, Math.min(200, records.length())));
    }

    @Test
    void aMissingDeviceIsAnIoErrorNamingIt(@TempDir Path dir) {
        IOException error = assertThrows(IOException.class, () -> KernelLog.read(dir.resolve("kmsg")));
        assertTrue(error.getMessage().contains(dir.resolve("kmsg").toString()), error.getMessage());
    }
}
