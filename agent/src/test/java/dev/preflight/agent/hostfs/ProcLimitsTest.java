package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.hostfs.ProcLimits.Limit;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class ProcLimitsTest {
    @Test
    void parsesTheKernelsTableIncludingUnitlessLines() throws Exception {
        String content = Files.readString(Fixtures.tree("docker-default").resolve("proc/self/limits"));
        ProcLimits limits = ProcLimits.parse("limits", content);
        assertEquals(new Limit(65536, 65536, "bytes"), limits.get(ProcLimits.MAX_LOCKED_MEMORY).orElseThrow());
        assertEquals(new Limit(0, 0, ""), limits.get("Max nice priority").orElseThrow());
        assertEquals(Limit.UNLIMITED, limits.get("Max cpu time").orElseThrow().soft());
    }

    @Test
    void unlimitedIsRecognised() throws Exception {
        String content = Files.readString(Fixtures.tree("memlock-unlimited").resolve("proc/self/limits"));
        Limit memlock = ProcLimits.parse("limits", content).get(ProcLimits.MAX_LOCKED_MEMORY).orElseThrow();
        assertTrue(memlock.softUnlimited() && memlock.hardUnlimited());
        assertEquals(1048576, ProcLimits.parse("limits", content).get(ProcLimits.MAX_OPEN_FILES).orElseThrow().soft());
    }

    @Test
    void anythingElseIsMalformed() {
        MalformedInputException e = assertThrows(MalformedInputException.class,
                () -> ProcLimits.parse("/proc/self/limits", "garbage\n"));
        assertEquals("malformed /proc/self/limits: expected the /proc limits table "
                + "(a 'Limit  Soft Limit  Hard Limit  Units' header), got 'garbage'", e.getMessage());
        assertThrows(MalformedInputException.class, () -> ProcLimits.parse("x",
                "Limit                     Soft Limit           Hard Limit           Units\nMax locked memory         -5  -5 bytes\n"));
        assertThrows(MalformedInputException.class, () -> ProcLimits.parse("x", ""));
    }
}
