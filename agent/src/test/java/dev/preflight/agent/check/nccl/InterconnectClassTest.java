package dev.preflight.agent.check.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InterconnectClassTest {
    @Test
    void interconnectClassesFollowTheArticlesTable() {
        assertEquals(InterconnectClass.UNUSABLE, InterconnectClass.of(0.125));
        assertEquals(InterconnectClass.TOO_SLOW, InterconnectClass.of(3.125));
        assertEquals(InterconnectClass.SMALL_MODELS_ONLY, InterconnectClass.of(12.5));
        assertEquals(InterconnectClass.PRODUCTION_VIABLE, InterconnectClass.of(25));
        assertEquals(InterconnectClass.RECOMMENDED, InterconnectClass.of(50));
        assertEquals(InterconnectClass.OPTIMAL, InterconnectClass.of(100));
    }
}
