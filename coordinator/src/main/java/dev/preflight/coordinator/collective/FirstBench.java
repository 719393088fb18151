package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.collective.BenchContext.Candidate;
import dev.preflight.coordinator.fanout.Calls;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CreateCommIdResponse;
import dev.preflight.proto.v1.Measurements.NodeGpus;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Scope;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.UnaryOperator;

/**
 * Each node's first bench: a communicator on the node's own GPUs (every GPU its CUDA runtime sees),
 * every node at once, which is how the run learns each node's GPUs and their free memory. A node
 * that refuses to bench (no CUDA runtime, GPUs busy, another bench running) is named and left out
 * of the later phases; one whose agent no longer answers is lost.
 */
final class FirstBench {
    private final BenchNodes nodes;
    private final BenchRecorder recorder;
    private final BenchResults results;
    private final UnaryOperator<Communicator> prepare;
    private final ExecutorService pool;
    private final Consumer<String> lines;

    /**
     * @param prepare the communicator as it is to run (sizes within memory, deadline within the budget)
     * @param lines progress lines that stay (nodes lost or unable to bench)
     */
    FirstBench(BenchNodes nodes, BenchRecorder recorder, UnaryOperator<Communicator> prepare, ExecutorService pool,
            Consumer<String> lines) {
        this.nodes = nodes;
        this.recorder = recorder;
        this.results = recorder.results();
        this.prepare = prepare;
        this.pool = pool;
        this.lines = lines;
    }

    /** @return the outcome of each node's first communicator, for the nodes that started one */
    List<CommRun> run(String phase, IntFunction<BenchSpec> specForRanks) {
        List<Candidate> candidates = nodes.candidates();
        List<CompletableFuture<CommRun>> futures = new ArrayList<>();
        List<BenchNode> started = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Candidate candidate = candidates.get(i);
            int index = i;
            started.add(null);
            if (results.isLost(candidate.name())) {
                futures.add(CompletableFuture.completedFuture(null));
                continue;
            }
            futures.add(CompletableFuture.supplyAsync(() -> startNode(phase, index, candidate, specForRanks, started),
                    pool));
        }
        List<CommRun> outcomes = new ArrayList<>();
        List<BenchNode> benched = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            CommRun outcome = futures.get(i).join();
            if (outcome == null) {
                continue;
            }
            recorder.record(outcome);
            outcomes.add(outcome);
            BenchNode node = started.get(i);
            if (!results.isLost(node.name())) {
                benched.add(node);
            }
        }
        if (nodes.learnt(benched)) {
            for (BenchNode node : benched) {
                results.addGpus(NodeGpus.newBuilder().setNode(node.name()).setCount(node.gpuCount())
                        .setModel(node.gpuModel()).setMemoryBytes(node.gpuMemoryBytes()).build());
            }
        }
        return outcomes;
    }

    private CommRun startNode(String phase, int index, Candidate candidate, IntFunction<BenchSpec> specForRanks,
            List<BenchNode> started) {
        long begun = System.nanoTime();
        CommunicatorRunner runner = nodes.agents();
        CreateCommIdResponse id;
        try {
            id = runner.createId(candidate.target().channel(), List.of());
        } catch (StatusRuntimeException e) {
            if (!CommunicatorRunner.answered(e.getStatus())
                    && !runner.alive(new BenchNode(index, candidate.name(), candidate.target(), List.of(), "", 0))) {
                results.lost(candidate.name(), "lost when the bench started: " + Calls.describe(e));
                lines.accept("node " + candidate.name() + " lost: " + Calls.describe(e));
            } else {
                results.addNodeCheck(candidate.name(), CheckResult.newBuilder()
                        .setId(BenchContext.BENCH_ID).setScope(Scope.HOST).setStatus(CheckResult.Status.ERROR)
                        .setSummary("the node cannot bench, so no NCCL phase includes it: " + Calls.describe(e))
                        .setObserved(e.getStatus().getCode().name())
                        .setRemediation("check the agent's --cudart-lib/--nccl-lib, that the GPUs are free, and that no "
                                + "other bench holds the node")
                        .build());
                lines.accept("node " + candidate.name() + " cannot bench: " + Calls.describe(e));
            }
            return null;
        }
        long memory = candidate.gpuMemoryBytes();
        id.getFreeBytesList().stream().mapToLong(Long::longValue).min()
                .ifPresent(free -> nodes.freeBytes(candidate.name(), free));
        BenchNode node = new BenchNode(index, candidate.name(), candidate.target(), id.getGpusList(), candidate.gpuModel(),
                memory);
        Communicator comm = prepare.apply(new Communicator(phase, "intra-node " + candidate.name(), Sweep.Kind.INTRA_NODE,
                -1, List.of(Member.whole(node)), specForRanks.apply(id.getLocalRanks())));
        CommRun outcome = runner.join(comm, id, begun);
        if (memory == 0 && outcome.results().getWorkersCount() > 0) {
            BenchWorker worker = outcome.results().getWorkers(0);
            node = new BenchNode(index, node.name(), node.target(), node.gpus(), node.gpuModel(), worker.getTotalBytes());
        }
        started.set(index, node);
        return outcome;
    }
}
