package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeBenchLockTest {
    @Test
    void aSecondBenchInThisProcessIsRefusedUntilTheFirstEnds(@TempDir Path dir) throws Exception {
        Optional<NodeBenchLock> first = NodeBenchLock.tryAcquire(dir, "first", new StringBuilder());
        assertTrue(first.isPresent());
        StringBuilder busy = new StringBuilder();
        assertTrue(NodeBenchLock.tryAcquire(dir, "second", busy).isEmpty());
        assertTrue(busy.toString().startsWith(dir.resolve(NodeBenchLock.FILE_NAME) + " is held by first, pid "),
                busy.toString());
        first.get().close();
        Optional<NodeBenchLock> again = NodeBenchLock.tryAcquire(dir, "second", new StringBuilder());
        assertTrue(again.isPresent());
        again.get().close();
    }

    @Test
    void anotherProcessHoldingTheLockExcludesThisOne(@TempDir Path dir) throws Exception {
        Process holder = new ProcessBuilder(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(), dir.toString()))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("held", out.readLine());
            StringBuilder busy = new StringBuilder();
            assertTrue(NodeBenchLock.tryAcquire(dir, "agent", busy).isEmpty());
            assertTrue(busy.toString().contains("is held by test holder, pid " + holder.pid()), busy.toString());
            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            Optional<NodeBenchLock> mine = NodeBenchLock.tryAcquire(dir, "agent", new StringBuilder());
            assertTrue(mine.isPresent());
            mine.get().close();
        } finally {
            holder.destroyForcibly();
        }
    }
}
