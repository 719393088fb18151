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
        assertEquals(EnumSet.of(Phase.CHECKS, Phase.RAILS, Phase.PAIRWISE), Phase.parse("pairwise,rails"));
    }

    @Test
    void benchPhasesAreTheOnesThatTakeTheGpus() {
        assertEquals(EnumSet.of(Phase.INTRA_NODE, Phase.ALL_NODES, Phase.RAILS, Phase.FAULT_ISOLATION, Phase.PAIRWISE,
                Phase.INFERENCE),
                EnumSet.copyOf(java.util.Arrays.stream(Phase.values()).filter(Phase::bench).toList()));
    }

    @Test
    void unknownPhasesAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Phase.parse("checks,warp"));
        assertEquals("unknown phase 'warp'; known: checks, consistency, intra_node, all_nodes, rails, fault_isolation, pairwise, "
                + "inference, "
                + "hostnet", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Phase.parse(","));
    }
}
