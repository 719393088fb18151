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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The budget's clock starts with the first phase; with less than ten seconds left no round starts;
 * phases are cut, pairwise first, until the rest is predicted to fit.
 */
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

    private static Map<String, Duration> predicted() {
        Map<String, Duration> perPhase = new LinkedHashMap<>();
        perPhase.put(AllNodesPhase.NAME, Duration.ofSeconds(60));
        perPhase.put(RailsPhase.NAME, Duration.ofSeconds(60));
        perPhase.put(PairwisePhase.NAME, Duration.ofSeconds(120));
        perPhase.put(InferencePhase.NAME, Duration.ofSeconds(30));
        return perPhase;
    }

    @Test
    void nothingIsCutWhileThePredictionFitsInWhatIsLeft() {
        Map<String, Duration> perPhase = predicted();
        assertEquals(List.of(), BenchBudget.cut(perPhase, Duration.ofSeconds(270)));
        assertEquals(4, perPhase.size());
    }

    @Test
    void pairwiseIsCutFirstAndCuttingStopsOnceTheRestFits() {
        Map<String, Duration> perPhase = predicted();
        assertEquals(List.of(new BenchBudget.Cut(PairwisePhase.NAME, Duration.ofSeconds(150))),
                BenchBudget.cut(perPhase, Duration.ofSeconds(150)));
        assertEquals(List.of(AllNodesPhase.NAME, RailsPhase.NAME, InferencePhase.NAME), List.copyOf(perPhase.keySet()));

        Map<String, Duration> tighter = predicted();
        assertEquals(List.of(new BenchBudget.Cut(PairwisePhase.NAME, Duration.ofSeconds(150)),
                new BenchBudget.Cut(InferencePhase.NAME, Duration.ofSeconds(120))),
                BenchBudget.cut(tighter, Duration.ofSeconds(149)));
    }

    @Test
    void theIntraNodePhaseIsNeverCut() {
        Map<String, Duration> perPhase = new LinkedHashMap<>(Map.of(IntraNodePhase.NAME, Duration.ofSeconds(100)));
        assertEquals(List.of(), BenchBudget.cut(perPhase, Duration.ofSeconds(10)));
        assertEquals(Duration.ofSeconds(100), BenchBudget.predicted(perPhase));
    }
}
