package dev.preflight.coordinator.collective;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Communicators grouped into rounds that can run at once: a node holds one bench at a time (its
 * bench lock), so no node may appear twice in a round. Greedy, in the given order: each
 * communicator joins the first round none of whose nodes it uses.
 */
public final class Rounds {
    private Rounds() {}

    public static List<List<Communicator>> disjoint(List<Communicator> communicators) {
        List<List<Communicator>> rounds = new ArrayList<>();
        List<Set<Integer>> busy = new ArrayList<>();
        for (Communicator comm : communicators) {
            Set<Integer> nodes = new HashSet<>();
            for (Member member : comm.members()) {
                nodes.add(member.node().index());
            }
            int round = 0;
            while (round < rounds.size() && busy.get(round).stream().anyMatch(nodes::contains)) {
                round++;
            }
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
                busy.add(new HashSet<>());
            }
            rounds.get(round).add(comm);
            busy.get(round).addAll(nodes);
        }
        return rounds;
    }
}
