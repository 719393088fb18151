package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** The budget's clock starts with the first phase; with less than ten seconds left no round starts. */
class BenchBudgetTest {
    /** A clock the test moves by hand. */
    private static final class HandClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    private final HandClock clock = new HandClock();
    /** FakeBench's settings: a budget of 10 minutes. */
    private final BenchBudget budget = new BenchBudget(FakeBench.settings(BenchProfile.QUICK), clock);

    @Test
    void theClockStartsWithTheFirstPhaseNotWithTheContext() {
        clock.advance(Duration.ofMinutes(30));
        budget.start();
        clock.advance(Duration.ofMinutes(4));
        assertEquals(Duration.ofMinutes(6), budget.remaining());
    }

    @Test
    void aRoundStartsWithTenSecondsLeftAndNotWithLess() {
        budget.start();
        clock.advance(Duration.ofMinutes(10).minus(BenchBudget.MIN_TIME_LEFT));
        assertFalse(budget.spent());
        budget.require("rails", 2, 4);
        clock.advance(Duration.ofSeconds(1));
        assertTrue(budget.spent());
        BudgetSpent spent = assertThrows(BudgetSpent.class, () -> budget.require("rails", 2, 4));
        assertEquals("the time budget of 10m 0s ran out after 2 of 4 rounds", spent.getMessage());
        assertEquals("the time budget of 10m 0s ran out before pairwise started",
                assertThrows(BudgetSpent.class, () -> budget.require("pairwise", 0, 1)).getMessage());
    }
}
