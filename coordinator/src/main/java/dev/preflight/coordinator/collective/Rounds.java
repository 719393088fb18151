package dev.preflight.coordinator.collective;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Communicators grouped into rounds that can run at once: a GPU takes part in one bench at a time
 * (a run's benches share a node only on disjoint GPUs), so no GPU may appear twice in a round.
 * Greedy, in the given order: each communicator joins the first round none of whose GPUs it uses.
 */
public final class Rounds {
    private Rounds() {}

    public static List<List<Communicator>> disjoint(List<Communicator> communicators) {
        List<List<Communicator>> rounds = new ArrayList<>();
        List<Set<List<Integer>>> busy = new ArrayList<>();
        for (Communicator comm : communicators) {
            Set<List<Integer>> gpus = new HashSet<>();
            for (Member member : comm.members()) {
                for (int gpu : member.gpus()) {
                    gpus.add(List.of(member.node().index(), gpu));
                }
            }
            int round = 0;
            while (round < rounds.size() && busy.get(round).stream().anyMatch(gpus::contains)) {
                round++;
            }
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
                busy.add(new HashSet<>());
            }
            rounds.get(round).add(comm);
            busy.get(round).addAll(gpus);
        }
        return rounds;
    }
}
