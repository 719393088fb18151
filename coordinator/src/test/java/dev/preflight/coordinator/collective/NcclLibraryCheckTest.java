package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CheckResult;
import java.util.List;
import org.junit.jupiter.api.Test;

class NcclLibraryCheckTest {
    /** What the H200 validation run's worker loaded (NCCL 2.28.9 from the torch venv). */
    private static final BenchWorker VENV = BenchWorker.newBuilder().setNcclVersion("2.28.9")
            .setNcclLibrary("/opt/torch/.venv/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2")
            .setNcclLibraryOrigin("site-packages of /opt/torch/.venv/bin/python3").build();

    @Test
    void theSameVersionPassesAndNamesTheFile() {
        CheckResult check = NcclLibraryCheck.of(List.of(VENV, VENV), "2.28.9");
        assertEquals(CheckResult.Status.PASS, check.getStatus());
        assertEquals("benched NCCL 2.28.9 /opt/torch/.venv/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2",
                check.getSummary());
        assertTrue(check.getObserved().endsWith("(chosen by site-packages of /opt/torch/.venv/bin/python3)"),
                check.getObserved());
    }

    @Test
    void anotherVersionWarns() {
        CheckResult check = NcclLibraryCheck.of(List.of(VENV), "2.28.3");
        assertEquals(CheckResult.Status.WARN, check.getStatus());
        assertTrue(check.getSummary().endsWith(", not NCCL 2.28.3 that the serving engine runs"), check.getSummary());
        assertFalse(check.getRemediation().isEmpty());
    }

    @Test
    void workersThatDisagreeWarnEvenIfOneMatches() {
        BenchWorker system = VENV.toBuilder().setNcclVersion("2.28.3").setNcclLibrary("/usr/lib/x86_64-linux-gnu/libnccl.so.2")
                .build();
        assertEquals(CheckResult.Status.WARN, NcclLibraryCheck.of(List.of(VENV, system), "2.28.9").getStatus());
    }

    @Test
    void withoutAnExpectationItOnlyReports() {
        assertEquals(CheckResult.Status.PASS, NcclLibraryCheck.of(List.of(VENV), null).getStatus());
        assertEquals(CheckResult.Status.SKIP, NcclLibraryCheck.of(List.of(), "2.28.9").getStatus());
    }

    @Test
    void versionsAreMajorMinorPatch() {
        assertTrue(NcclLibraryCheck.VERSION.matcher("2.28.9").matches());
        assertFalse(NcclLibraryCheck.VERSION.matcher("2.28").matches());
        assertFalse(NcclLibraryCheck.VERSION.matcher("v2.28.9").matches());
    }
}
