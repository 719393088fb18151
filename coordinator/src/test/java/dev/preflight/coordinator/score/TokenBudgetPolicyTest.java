package dev.preflight.coordinator.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The tokenBudget block: defaults, overrides, bad values named, and policy show reading back. */
class TokenBudgetPolicyTest {
    @Test
    void theDefaultIsAFifthOfFiftyMilliseconds() {
        Policy.TokenBudget budget = Policy.defaults().tokenBudget();
        assertEquals(0.050, budget.interTokenLatencySeconds(), 1e-12);
        assertEquals(0.20, budget.communicationShare(), 1e-12);
        assertEquals(0.010, budget.communicationSeconds(), 1e-12);
    }

    @Test
    void aFileOverridesEitherKeyAndShowReadsBack() throws PolicyException {
        Policy policy = PolicyFile.parse("p.yaml", "tokenBudget:\n  interTokenLatency: 25ms\n");
        assertEquals(0.025, policy.tokenBudget().interTokenLatencySeconds(), 1e-12);
        assertEquals(0.20, policy.tokenBudget().communicationShare(), 1e-12);
        Policy shown = PolicyFile.parse("shown", policy.toYaml());
        assertEquals(policy.tokenBudget(), shown.tokenBudget());
    }

    @Test
    void badValuesAreNamed() {
        PolicyException latency = assertThrows(PolicyException.class,
                () -> PolicyFile.parse("p.yaml", "tokenBudget:\n  interTokenLatency: 50\n"));
        assertTrue(latency.getMessage().contains("tokenBudget.interTokenLatency: '50' is not a positive time in milliseconds"),
                latency.getMessage());
        PolicyException share = assertThrows(PolicyException.class,
                () -> PolicyFile.parse("p.yaml", "tokenBudget:\n  communicationShare: 0%\n"));
        assertTrue(share.getMessage().contains("tokenBudget.communicationShare: '0%' is not a percentage in (0%, 100%]"),
                share.getMessage());
        PolicyException unknown = assertThrows(PolicyException.class,
                () -> PolicyFile.parse("p.yaml", "tokenBudget:\n  itl: 50ms\n"));
        assertTrue(unknown.getMessage().contains("unknown key tokenBudget.itl"), unknown.getMessage());
    }
}
