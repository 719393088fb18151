package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.PeerPair;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Global ranks node-major over nodes with different GPU counts, in every phase's communicators. */
class RankLayoutTest {
    @Test
    void ranksFollowTheEarlierNodesGpus() {
        List<BenchNode> nodes = FakeBench.nodes(8, 4, 8);
        RankLayout layout = RankLayout.of(List.of(Member.whole(nodes.get(0)), Member.whole(nodes.get(1)),
                Member.whole(nodes.get(2))));
        assertEquals(20, layout.nranks());
        assertEquals(List.of(0, 8, 12), List.of(layout.offset(0), layout.offset(1), layout.offset(2)));
        assertEquals(11, layout.rank(1, 3));
        assertEquals(19, layout.rank(2, 7));
    }

    @Test
    void theAllNodeCommunicatorTakesEveryGpuOfUnevenNodes() {
        List<List<Communicator>> plan = AllNodesPhase.plan(FakeBench.nodes(8, 4, 8), FakeBench.settings(BenchProfile.FULL));
        Communicator comm = plan.get(0).get(0);
        assertEquals(1, plan.size());
        assertEquals(20, comm.layout().nranks());
        assertEquals(List.of(0, 1, 2, 3), comm.members().get(1).gpus());
        assertEquals(List.of(BenchSpec.Op.ALL_REDUCE, BenchSpec.Op.ALL_GATHER, BenchSpec.Op.REDUCE_SCATTER,
                BenchSpec.Op.ALLTOALL), comm.spec().getOpsList());
        assertEquals(List.of(BenchSpec.DataType.BFLOAT16), comm.spec().getDtypesList());
        assertEquals(List.of(BenchSpec.Op.ALL_REDUCE),
                AllNodesPhase.plan(FakeBench.nodes(2, 2), FakeBench.settings(BenchProfile.QUICK)).get(0).get(0).spec()
                        .getOpsList());
        assertTrue(AllNodesPhase.plan(FakeBench.nodes(8), FakeBench.settings(BenchProfile.FULL)).isEmpty());
    }

    @Test
    void aNodeWithFewerGpusSitsOutTheRailsItLacks() {
        List<List<Communicator>> plan = RailsPhase.plan(FakeBench.nodes(2, 2, 1), FakeBench.settings(BenchProfile.QUICK));
        List<String> labels = new ArrayList<>();
        for (List<Communicator> round : plan) {
            for (Communicator comm : round) {
                labels.add(comm.label());
                assertEquals(Sweep.Kind.RAIL, comm.kind());
                for (Member member : comm.members()) {
                    assertEquals(List.of(comm.rail()), member.gpus());
                }
            }
        }
        // rail 1 has two nodes: the rail across every node is already their pair
        assertEquals(List.of("rail 0 (3 nodes)", "rail 1 (2 nodes)", "rail 0 node-1~node-2", "rail 0 node-2~node-3",
                "rail 0 node-1~node-3"), labels);
        assertEquals(2, plan.get(0).get(1).layout().nranks());
        // the rails together, then the ring rounds of rail 0 (three nodes: three rounds of one pair)
        assertEquals(List.of(2, 1, 1, 1), plan.stream().map(List::size).toList());
    }

    @Test
    void everyRailRunsInTheSameRoundsOnDisjointGpus() {
        List<List<Communicator>> plan = RailsPhase.plan(FakeBench.nodes(4, 4, 4, 4), FakeBench.settings(BenchProfile.QUICK));
        // four rails across the four nodes, then two ring rounds of two pairs on each rail
        assertEquals(List.of(4, 8, 8), plan.stream().map(List::size).toList());
        for (List<Communicator> round : plan) {
            Set<List<Integer>> used = new HashSet<>();
            for (Communicator comm : round) {
                for (Member member : comm.members()) {
                    assertTrue(used.add(List.of(member.node().index(), member.gpus().get(0))), "GPU twice in a round: " + round);
                }
            }
        }
        assertEquals(plan, Rounds.disjoint(plan.stream().flatMap(List::stream).toList()),
                "rounds of disjoint GPUs are what Rounds makes of them");
    }

    @Test
    void pairsSendGpuKToGpuKBothWaysOverTheSmallerNodesGpus() {
        List<BenchNode> nodes = FakeBench.nodes(8, 4);
        Communicator pair = PairwisePhase.pair(nodes.get(0), nodes.get(1), FakeBench.settings(BenchProfile.FULL));
        assertEquals(8, pair.layout().nranks());
        assertEquals(List.of(0, 1, 2, 3), pair.members().get(0).gpus());
        List<String> pairs = new ArrayList<>();
        for (PeerPair p : pair.spec().getPeerPairsList()) {
            pairs.add(p.getSender() + ":" + p.getReceiver());
        }
        assertEquals(List.of("0:4", "4:0", "1:5", "5:1", "2:6", "6:2", "3:7", "7:3"), pairs);
        assertEquals(List.of(BenchSpec.Op.SENDRECV), pair.spec().getOpsList());
    }

    @Test
    void theInferenceLayoutIsTheFirstTpTimesPpGpusNodeMajor() {
        List<BenchNode> nodes = FakeBench.nodes(8, 8);
        InferenceLayout planned = InferenceLayout.of(nodes, 0, 0);
        assertEquals(8, planned.tp());
        assertEquals(2, planned.pp());
        assertEquals(List.of(List.of(0, 8), List.of(7, 15)), List.of(
                List.of(planned.boundaryPairs(0).get(0)[0], planned.boundaryPairs(0).get(0)[1]),
                List.of(planned.boundaryPairs(0).get(7)[0], planned.boundaryPairs(0).get(7)[1])));

        // TP 4 x PP 3: two stages on node 1, the third on node 2; the 1->2 boundary crosses nodes
        InferenceLayout layout = InferenceLayout.of(nodes, 4, 3);
        assertEquals(1, layout.stage(1).size());
        assertEquals(List.of(4, 5, 6, 7), layout.stage(1).get(0).gpus());
        assertEquals(1, layout.boundary(0).size());
        List<Member> crossing = layout.boundary(1);
        assertEquals(List.of(4, 5, 6, 7), crossing.get(0).gpus());
        assertEquals(List.of(0, 1, 2, 3), crossing.get(1).gpus());
        assertEquals(List.of(0, 4), List.of(layout.boundaryPairs(1).get(0)[0], layout.boundaryPairs(1).get(0)[1]));

        // uneven nodes: the smallest node's GPU count is the planner's TP
        assertEquals(4, InferenceLayout.of(FakeBench.nodes(8, 4), 0, 0).tp());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> InferenceLayout.of(nodes, 8, 4));
        assertEquals("TP 8 x PP 4 needs 32 GPUs; the 2 benched node(s) have 16", e.getMessage());
    }

    @Test
    void pipelineBoundariesShareNodesSoTheyRunInTwoRounds() {
        List<Communicator> comms = InferencePhase.plan(InferenceLayout.of(FakeBench.nodes(2, 2, 2, 2), 0, 0),
                FakeBench.settings(BenchProfile.FULL));
        // 4 TP groups and 3 boundaries, each per op and in CUDA graphs
        assertEquals(14, comms.size());
        Communicator perOp = comms.get(0);
        assertTrue(perOp.spec().getPerIteration());
        assertEquals(0, perOp.spec().getGraphLaunches());
        assertEquals(InferencePhase.GRAPH_LAUNCHES, comms.get(1).spec().getGraphLaunches());
        for (List<Communicator> round : Rounds.disjoint(comms)) {
            List<Integer> used = new ArrayList<>();
            for (Communicator comm : round) {
                for (Member member : comm.members()) {
                    assertTrue(!used.contains(member.node().index()), "node twice in a round: " + round);
                    used.add(member.node().index());
                }
            }
        }
    }
}
