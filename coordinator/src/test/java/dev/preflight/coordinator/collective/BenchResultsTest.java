package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Measurements.Sweep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which NCCL logs and topology dumps a run keeps for its report. */
class BenchResultsTest {
    private static final List<BenchNode> NODES = FakeBench.nodes(2, 2, 2);

    private static CommRun outcome(String label, CollectiveResult.Outcome result, int logChars, BenchNode... nodes) {
        List<Member> members = new ArrayList<>();
        CollectiveResults.Builder results = CollectiveResults.newBuilder()
                .addResults(CollectiveResult.newBuilder().setOp(BenchSpec.Op.ALL_REDUCE).setOutcome(result));
        int rank = 0;
        for (BenchNode node : nodes) {
            members.add(Member.whole(node));
            for (int gpu : node.gpus()) {
                results.addWorkers(BenchWorker.newBuilder().setNode(node.name()).setRank(rank).setGpu(gpu)
                        .setNcclLog("x".repeat(logChars))
                        .setNcclTopology(rank == 0 ? "<system version=\"1\"></system>" : ""));
                rank++;
            }
        }
        Communicator comm = new Communicator("phase", label, nodes.length > 1 ? Sweep.Kind.ALL_NODES : Sweep.Kind.INTRA_NODE,
                -1, members, BenchSpec.getDefaultInstance());
        return new CommRun(comm, results.build(), Map.of(), Map.of(), Duration.ofSeconds(1));
    }

    /** "node/rank" of every worker whose log was kept, per collective. */
    private static List<List<String>> kept(BenchResults results) {
        List<List<String>> kept = new ArrayList<>();
        for (CollectiveResults collective : results.collectives()) {
            List<String> workers = new ArrayList<>();
            for (BenchWorker worker : collective.getWorkersList()) {
                if (!worker.getNcclLog().isEmpty()) {
                    workers.add(worker.getNode() + "/" + worker.getRank());
                }
            }
            kept.add(workers);
        }
        return kept;
    }

    @Test
    void eachNodesFirstCommunicatorInsideAndAcrossKeepsOneLogAndFailuresKeepAll() {
        BenchResults results = new BenchResults();
        results.addCollective(outcome("intra node-1", CollectiveResult.Outcome.OK, 100, NODES.get(0)));
        results.addCollective(outcome("intra node-1 again", CollectiveResult.Outcome.OK, 100, NODES.get(0)));
        results.addCollective(outcome("node-1~node-2", CollectiveResult.Outcome.OK, 100, NODES.get(0), NODES.get(1)));
        results.addCollective(outcome("node-2~node-3", CollectiveResult.Outcome.OK, 100, NODES.get(1), NODES.get(2)));
        results.addCollective(outcome("node-1~node-3", CollectiveResult.Outcome.TIMEOUT, 100, NODES.get(0), NODES.get(2)));
        assertEquals(List.of(List.of("node-1/0"), List.of(), List.of("node-1/0", "node-2/2"), List.of("node-3/2"),
                List.of("node-1/0", "node-1/1", "node-3/2", "node-3/3")), kept(results));
        assertEquals("<system version=\"1\"></system>", results.collectives().get(0).getWorkers(0).getNcclTopology());
        assertEquals("", results.collectives().get(1).getWorkers(0).getNcclTopology());
    }

    @Test
    void logsOfCommunicatorsThatSucceededStopAtTheBudget() {
        BenchResults results = new BenchResults();
        int big = (int) (BenchResults.KEPT_BYTES / 2);
        results.addCollective(outcome("intra node-1", CollectiveResult.Outcome.OK, big, NODES.get(0)));
        results.addCollective(outcome("intra node-2", CollectiveResult.Outcome.OK, big, NODES.get(1)));
        results.addCollective(outcome("intra node-3", CollectiveResult.Outcome.TIMEOUT, big, NODES.get(2)));
        assertEquals(List.of(List.of("node-1/0"), List.of(), List.of("node-3/0", "node-3/1")), kept(results),
                "the second half-budget log does not fit; a failure's logs always stay");
    }
}
