package dev.preflight.coordinator.hostnet;

import java.util.ArrayList;
import java.util.List;

/**
 * Which node pairs to measure, in rounds where no node is in two pairs: every pair by the circle
 * method (n-1 rounds of n/2 pairs) up to a size, then only each node with its ring neighbour (two
 * rounds), as all pairs grow quadratically. In a pair (from, to), "to" listens.
 */
public final class PairSchedule {
    public record Pair(int from, int to) {}

    /** Above this many nodes, only ring neighbours are measured. */
    public static final int ALL_PAIRS_UP_TO = 32;

    private PairSchedule() {}

    public static List<List<Pair>> rounds(int nodes) {
        return nodes <= ALL_PAIRS_UP_TO ? allPairs(nodes) : ring(nodes);
    }

    /**
     * The circle method: node 0 stays put while the others rotate. Node 0 is always the listening
     * side of its pairs, so every other node reaches it once (it is the rendezvous node).
     */
    static List<List<Pair>> allPairs(int nodes) {
        List<List<Pair>> rounds = new ArrayList<>();
        if (nodes < 2) {
            return rounds;
        }
        int size = nodes % 2 == 0 ? nodes : nodes + 1;
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i < nodes ? i : -1;
        }
        for (int round = 0; round < size - 1; round++) {
            List<Pair> pairs = new ArrayList<>();
            for (int i = 0; i < size / 2; i++) {
                int to = order[i];
                int from = order[size - 1 - i];
                if (to >= 0 && from >= 0) {
                    pairs.add(new Pair(from, to));
                }
            }
            rounds.add(pairs);
            int last = order[size - 1];
            System.arraycopy(order, 1, order, 2, size - 2);
            order[1] = last;
        }
        return rounds;
    }

    /** Each node to its successor: even-indexed senders first, then odd, so no node is busy twice. */
    public static List<List<Pair>> ring(int nodes) {
        List<Pair> even = new ArrayList<>();
        List<Pair> odd = new ArrayList<>();
        List<Pair> last = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            Pair pair = new Pair(i, (i + 1) % nodes);
            if (nodes % 2 == 1 && i == nodes - 1) {
                last.add(pair);
            } else if (i % 2 == 0) {
                even.add(pair);
            } else {
                odd.add(pair);
            }
        }
        List<List<Pair>> rounds = new ArrayList<>(List.of(even, odd));
        if (!last.isEmpty()) {
            rounds.add(last);
        }
        return rounds;
    }
}
