package dev.preflight.coordinator.hostnet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PairScheduleTest {
    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 5, 8, 17, 32})
    void everyPairOnceNoNodeTwiceInARoundAndNodeZeroAlwaysListens(int nodes) {
        List<List<PairSchedule.Pair>> rounds = PairSchedule.rounds(nodes);
        assertEquals(nodes % 2 == 0 ? nodes - 1 : nodes, rounds.size());
        Set<Set<Integer>> seen = new HashSet<>();
        for (List<PairSchedule.Pair> round : rounds) {
            assertTrue(round.size() <= nodes / 2);
            Set<Integer> busy = new HashSet<>();
            for (PairSchedule.Pair pair : round) {
                assertTrue(busy.add(pair.from()) && busy.add(pair.to()), "node twice in a round: " + round);
                assertTrue(seen.add(Set.of(pair.from(), pair.to())), "pair measured twice: " + pair);
                assertTrue(pair.from() != 0, "node 0 is the rendezvous node and always listens: " + pair);
            }
        }
        assertEquals(nodes * (nodes - 1) / 2, seen.size());
    }

    @ParameterizedTest
    @ValueSource(ints = {33, 100, 1001})
    void largeFleetsMeasureRingNeighboursOnly(int nodes) {
        List<List<PairSchedule.Pair>> rounds = PairSchedule.rounds(nodes);
        assertTrue(rounds.size() <= 3);
        int pairs = 0;
        for (List<PairSchedule.Pair> round : rounds) {
            Set<Integer> busy = new HashSet<>();
            for (PairSchedule.Pair pair : round) {
                assertEquals((pair.from() + 1) % nodes, pair.to());
                assertTrue(busy.add(pair.from()) && busy.add(pair.to()), "node twice in a round");
                pairs++;
            }
        }
        assertEquals(nodes, pairs);
    }
}
