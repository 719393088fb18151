package dev.preflight.agent.check.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Evidence;
import dev.preflight.proto.v1.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemlockCheckTest {
    private final MemlockCheck check = new MemlockCheck();

    @Test
    void aFifoAsTheLimitsFileIsAnErrorAtOnceAndLeavesNoThreadBlocked(@TempDir Path root) throws Exception {
        Fixtures.copy("memlock-unlimited", root);
        Path limits = root.resolve("proc/self/limits");
        Files.delete(limits);
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", limits.toString()).start();
        } catch (java.io.IOException e) {
            Assumptions.assumeTrue(false, "mkfifo is not installed");
            return;
        }
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo failed");
        long blockedBefore = checkThreadsBlocked();
        for (int i = 0; i < 3; i++) {
            CheckResult result = Fixtures.run(check, HostFs.under(root));
            assertEquals(Status.ERROR, result.getStatus(), result.toString());
            assertEquals("cannot read " + limits + ": is a FIFO, socket or device, not a regular file", result.getSummary());
        }
        assertEquals(blockedBefore, checkThreadsBlocked(), "a check thread is still blocked on the FIFO");
    }

    /** Check threads not idle in the pool: one stuck in open() on a FIFO would stay RUNNABLE in native code. */
    private static long checkThreadsBlocked() {
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> e.getKey().getName().startsWith("preflight-check-"))
                .filter(e -> java.util.Arrays.stream(e.getValue()).anyMatch(frame -> frame.getMethodName().startsWith("open")))
                .count();
    }

    @Test
    void unlimitedLockedMemoryPasses() {
        CheckResult result = Fixtures.run(check, Fixtures.hostFs("memlock-unlimited"));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertEquals(Scope.PROCESS, result.getScope());
        assertEquals("host.memlock", result.getId());
        assertTrue(result.getObserved().startsWith("soft unlimited, hard unlimited"), result.getObserved());
        assertTrue(result.getRemediation().isEmpty());
    }

    @Test
    void dockersDefault64KiBWithoutIpcLockFails() {
        CheckResult result = Fixtures.run(check, Fixtures.hostFs("docker-default"));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertEquals("soft 64 KiB, hard 64 KiB; CAP_IPC_LOCK not effective", result.getObserved());
        assertEquals("unlimited", result.getExpected());
        assertTrue(result.getRemediation().contains("memlock=-1"), result.getRemediation());
        assertTrue(result.getSummary().contains("Cannot allocate memory"), result.getSummary());
    }

    @Test
    void containerdsDefault8MiBWithoutIpcLockFails() {
        CheckResult result = Fixtures.run(check, Fixtures.hostFs("containerd-default"));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertEquals("soft 8 MiB, hard 8 MiB; CAP_IPC_LOCK not effective", result.getObserved());
    }

    @Test
    void limitedButWithIpcLockWarns() {
        CheckResult result = Fixtures.run(check, Fixtures.hostFs("containerd-ipc-lock"));
        assertEquals(Status.WARN, result.getStatus(), result.toString());
        assertEquals("soft 8 MiB, hard 8 MiB; CAP_IPC_LOCK effective", result.getObserved());
    }

    @Test
    void evidenceHoldsEveryFileReadWithItsRawContent() throws Exception {
        HostFs fs = Fixtures.hostFs("docker-default");
        CheckResult result = Fixtures.run(check, fs);
        Path limits = fs.proc("self/limits");
        Evidence evidence = result.getEvidenceList().stream()
                .filter(e -> e.getSource().equals(limits.toString())).findFirst().orElseThrow();
        assertEquals(Files.readString(limits), evidence.getValue());
        assertTrue(result.getEvidenceList().stream().anyMatch(e -> e.getSource().endsWith("self/status")));
    }

    @Test
    void malformedLimitsIsAnErrorNamingThePathAndContent(@TempDir Path root) throws Exception {
        Fixtures.copy("docker-default", root);
        Path limits = root.resolve("proc/self/limits");
        Files.writeString(limits, "Limit                     Soft Limit           Hard Limit           Units\n"
                + "Max locked memory         lots                 65536                bytes\n");
        CheckResult result = Fixtures.run(check, HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains(limits.toString()), result.getSummary());
        assertTrue(result.getSummary().contains("lots"), result.getSummary());
    }

    @Test
    void missingLimitsFileIsAnErrorNamingIt(@TempDir Path root) throws Exception {
        Fixtures.copy("docker-default", root);
        Path limits = root.resolve("proc/self/limits");
        Files.delete(limits);
        CheckResult result = Fixtures.run(check, HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus());
        assertEquals("cannot read " + limits + ": no such file", result.getSummary());
    }

    @Test
    void unknownCapabilitiesStillFailALimitedProcess(@TempDir Path root) throws Exception {
        Fixtures.copy("containerd-ipc-lock", root);
        Files.delete(root.resolve("proc/self/status"));
        CheckResult result = Fixtures.run(check, HostFs.under(root));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertTrue(result.getObserved().endsWith("CAP_IPC_LOCK unknown (no /proc/self/status)"), result.getObserved());
    }
}
