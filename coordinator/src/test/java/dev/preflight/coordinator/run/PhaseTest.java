package dev.preflight.coordinator.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class PhaseTest {
    @Test
    void phasesParseAndChecksAlwaysRun() {
        assertEquals(EnumSet.of(Phase.CHECKS, Phase.HOSTNET), Phase.parse("hostnet"));
        assertEquals(EnumSet.of(Phase.CHECKS, Phase.CONSISTENCY), Phase.parse(" Consistency ,checks"));
    }

    @Test
    void unknownPhasesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Phase.parse("checks,warp"));
        assertEquals("unknown phase 'warp'; known: checks, consistency, hostnet", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Phase.parse(","));
    }
}
