package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.preflight.agent.AgentSettings;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.CreateCommIdResponse;
import dev.preflight.proto.v1.NcclSetting;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.RankIterations;
import dev.preflight.proto.v1.SizeRow;
import dev.preflight.proto.v1.TransportProof;
import dev.preflight.proto.v1.WrongRank;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench end to end through the agent's RPCs: worker processes (JNI with -Xcheck:jni) driving
 * the strict fake CUDA runtime and NCCL, ranks in separate processes over TCP, faults injected.
 * Tagged slow (real worker JVMs, about two minutes in all): it runs in the integration phase.
 */
@Tag("slow")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class BenchServiceTest {
    private static final List<Integer> FOUR = List.of(0, 1, 2, 3);
    private static final List<Integer> TWO = List.of(0, 1);

    @TempDir
    Path dir;

    private BenchAgent agent(String fixture, Map<String, String> env) throws Exception {
        return BenchAgent.start(dir, fixture, BenchAgent.settings(dir, env).build());
    }

    private static BenchSpec allReduce(int timeoutSeconds) {
        return BenchAgent.spec(4096, 4096, timeoutSeconds)
                .addOps(BenchSpec.Op.ALL_REDUCE)
                .addDtypes(BenchSpec.DataType.FLOAT32)
                .build();
    }

    @Test
    void fourWorkersRunEveryOpAndDtypeWithValidatedResults() throws Exception {
        try (BenchAgent agent = agent("docker-default", Map.of())) {
            BenchSpec.Builder spec = BenchAgent.spec(1024, 4096, 120);
            for (BenchSpec.Op op : List.of(BenchSpec.Op.ALL_REDUCE, BenchSpec.Op.ALL_GATHER, BenchSpec.Op.REDUCE_SCATTER,
                    BenchSpec.Op.ALLTOALL, BenchSpec.Op.SENDRECV)) {
                spec.addOps(op);
            }
            spec.addDtypes(BenchSpec.DataType.FLOAT32).addDtypes(BenchSpec.DataType.FLOAT16)
                    .addDtypes(BenchSpec.DataType.BFLOAT16);
            BenchAgent.Run run = agent.bench(FOUR, spec.build());

            assertEquals(15, run.results().getResultsCount());
            assertEquals(30, run.progress().size());
            assertEquals(30, run.progress().get(29).getTotal());
            for (CollectiveResult result : run.results().getResultsList()) {
                String what = result.getOp() + " " + result.getDtype();
                assertEquals(CollectiveResult.Outcome.OK, result.getOutcome(), what + ": " + result.getError());
                assertEquals(List.of(), result.getWrongRanksList(), what);
                assertEquals(List.of(), result.getFailedRanksList(), what);
                assertEquals(4, result.getNranks());
                assertEquals(2, result.getRowsCount(), what);
                boolean inPlaceChecked = result.getOp() != BenchSpec.Op.ALLTOALL && result.getOp() != BenchSpec.Op.SENDRECV;
                for (SizeRow row : result.getRowsList()) {
                    assertEquals(0, row.getOutOfPlace().getWrong(), what);
                    assertEquals(inPlaceChecked ? 0 : -1, row.getInPlace().getWrong(), what);
                    assertTrue(row.getOutOfPlace().getTimeUs() > 0 && row.getOutOfPlace().getBusbwGbps() > 0, what);
                }
                assertTrue(result.getNcclTestsCommand().startsWith("mpirun -np 4 "), result.getNcclTestsCommand());
            }
            CollectiveResult gather = run.results().getResults(3);
            assertEquals(BenchSpec.Op.ALL_GATHER, gather.getOp());
            assertEquals(4096, gather.getRows(1).getSizeBytes());
            assertEquals(256, gather.getRows(1).getCount());

            assertEquals(4, run.results().getWorkersCount());
            for (int rank = 0; rank < 4; rank++) {
                BenchWorker worker = run.results().getWorkers(rank);
                assertEquals(rank, worker.getRank());
                assertEquals(rank, worker.getGpu());
                assertEquals("2.27.3", worker.getNcclVersion());
                assertTrue(worker.getNcclLog().contains("NCCL INFO Channel 00/0 : " + rank + "[" + rank + "] -> "),
                        worker.getNcclLog());
            }
            TransportProof transport = run.results().getTransport();
            assertEquals(TransportProof.Verdict.PROVEN, transport.getVerdict(), transport.getSummary());
            assertEquals(List.of("P2P/IPC"), transport.getTransportsList());
            assertEquals("", agent.leakReport());
        }
    }

    @Test
    void graphsAndPerIterationTimingRunOverTheWorkers() throws Exception {
        try (BenchAgent agent = agent("docker-default", Map.of())) {
            BenchSpec graph = BenchAgent.spec(4096, 4096, 60).addOps(BenchSpec.Op.ALL_REDUCE)
                    .addDtypes(BenchSpec.DataType.BFLOAT16).setGraphLaunches(3).build();
            CollectiveResult graphed = agent.bench(TWO, graph).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.OK, graphed.getOutcome(), graphed.getError());
            assertTrue(graphed.getNcclTestsCommand().contains(" -G 3"), graphed.getNcclTestsCommand());

            BenchSpec latency = BenchAgent.spec(1024, 1024, 60).addOps(BenchSpec.Op.SENDRECV)
                    .addDtypes(BenchSpec.DataType.FLOAT16).setPerIteration(true).setIters(10).build();
            SizeRow row = agent.bench(TWO, latency).results().getResults(0).getRows(0);
            assertTrue(row.getOutOfPlace().getP50Us() > 0, row.toString());
            assertTrue(row.getOutOfPlace().getP99Us() >= row.getOutOfPlace().getP50Us(), row.toString());
            assertEquals("", agent.leakReport());
        }
    }

    @Test
    void aHangTimesOutWithinTheDeadlineAndTheNextBenchPasses() throws Exception {
        Path fault = Files.createFile(dir.resolve("fault-on"));
        try (BenchAgent agent = agent("docker-default",
                Map.of("FAKE_NCCL_FAULT_HANG", "1:3", "FAKE_NCCL_FAULT_ONLY_IF", fault.toString()))) {
            BenchAgent.Run hung = agent.bench(FOUR, allReduce(4));
            CollectiveResult result = hung.results().getResults(0);
            assertEquals(CollectiveResult.Outcome.TIMEOUT, result.getOutcome(), result.getError());
            assertTrue(result.getFailedCall().startsWith("ncclAllReduce"), result.getFailedCall());
            // the call's time is what was left of the sweep's deadline, and the error says so
            assertTrue(result.getError().matches(".*did not complete within [0-9.]+ s \\(what was left of the sweep's 4 s "
                    + "deadline at [0-9]+ bytes\\); communicator aborted.*"), result.getError());
            assertFalse(result.getFailedRanksList().isEmpty());

            Files.delete(fault);
            BenchAgent.Run next = agent.bench(FOUR, allReduce(60));
            assertEquals(CollectiveResult.Outcome.OK, next.results().getResults(0).getOutcome(),
                    next.results().getResults(0).getError());
            assertEquals("", agent.leakReport());
        }
    }

    @Test
    @Tag("slow")
    void corruptedOutputIsCountedAsWrongElementsAndTheRankThatReceivedItIsNamed() throws Exception {
        try (BenchAgent agent = agent("docker-default", Map.of("FAKE_NCCL_FAULT_CORRUPT", "2"))) {
            CollectiveResult result = agent.bench(FOUR, allReduce(60)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.WRONG_RESULTS, result.getOutcome());
            assertTrue(result.getWrongTotal() > 0);
            assertTrue(result.getRows(0).getOutOfPlace().getWrong() > 0);
            assertEquals(List.of(2), result.getFailedRanksList());
            assertEquals(1, result.getWrongRanksCount(), result.getWrongRanksList().toString());
            WrongRank wrong = result.getWrongRanks(0);
            assertEquals(2, wrong.getRank());
            assertEquals(2, wrong.getGpu());
            // the fake flips one byte of each output it delivers: out-of-place and in-place
            assertEquals(result.getRows(0).getOutOfPlace().getWrong() + result.getRows(0).getInPlace().getWrong(),
                    wrong.getWrong());
        }
    }

    @Test
    void aCorruptionOnceSpoilsTheFirstAttemptOnly() throws Exception {
        Path once = dir.resolve("corrupt-once");
        try (BenchAgent agent = agent("docker-default",
                Map.of("FAKE_NCCL_FAULT_CORRUPT", "1", "FAKE_NCCL_FAULT_ONCE", once.toString()))) {
            CollectiveResult first = agent.bench(TWO, allReduce(60)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.WRONG_RESULTS, first.getOutcome(), first.getError());
            assertTrue(Files.exists(once));
            CollectiveResult repeat = agent.bench(TWO, allReduce(60)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.OK, repeat.getOutcome(), repeat.getError());
        }
    }

    @Test
    void aHangOnceStopsTheFirstAttemptOnly() throws Exception {
        Path once = dir.resolve("hang-once");
        try (BenchAgent agent = agent("docker-default",
                Map.of("FAKE_NCCL_FAULT_HANG", "1:0", "FAKE_NCCL_FAULT_ONCE", once.toString()))) {
            CollectiveResult first = agent.bench(TWO, allReduce(3)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.TIMEOUT, first.getOutcome(), first.getError());
            CollectiveResult repeat = agent.bench(TWO, allReduce(60)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.OK, repeat.getOutcome(), repeat.getError());
        }
    }

    @Test
    void aReplayedLogIsTheWorkersWholeLog() throws Exception {
        Path captured = NcclLogs.path("pxn-gdrdma-roce-plugin-h20-nccl-tests-issue-321.log");
        try (BenchAgent agent = agent("bench-ib-h100-cx7-ndr-bf3-bond",
                Map.of("FAKE_NCCL_DEBUG_REPLAY", captured.toString()))) {
            CollectiveResults results = agent.bench(List.of(0), allReduce(60)).results();
            assertEquals(Files.readString(captured), results.getWorkers(0).getNcclLog());
            assertEquals("2.26.5", results.getTransport().getNcclVersion());
        }
    }

    @Test
    void legacyVersionCodesReadAsNcclWritesThem() throws Exception {
        try (BenchAgent agent = agent("docker-default", Map.of("FAKE_NCCL_VERSION", "2507"))) {
            CollectiveResults results = agent.bench(TWO, allReduce(60)).results();
            assertEquals("2.5.7", results.getWorkers(0).getNcclVersion());
            assertTrue(results.getWorkers(0).getNcclLog().contains("NCCL INFO NCCL version 2.5.7+cuda"),
                    results.getWorkers(0).getNcclLog());
            assertEquals("2.5.7", results.getTransport().getNcclVersion());
        }
    }

    @Test
    void aSlowRankLowersTheBusBandwidth() throws Exception {
        Path fault = dir.resolve("slow-on");
        try (BenchAgent agent = agent("docker-default",
                Map.of("FAKE_NCCL_FAULT_SLOW", "1:20", "FAKE_NCCL_FAULT_ONLY_IF", fault.toString()))) {
            BenchSpec spec = BenchAgent.spec(65536, 65536, 60).addOps(BenchSpec.Op.ALL_REDUCE)
                    .addDtypes(BenchSpec.DataType.FLOAT32).setIters(10).build();
            double healthy = agent.bench(TWO, spec).results().getResults(0).getPeakBusbwGbps();
            Files.createFile(fault);
            CollectiveResult slow = agent.bench(TWO, spec).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.OK, slow.getOutcome(), slow.getError());
            assertTrue(slow.getPeakBusbwGbps() < healthy, slow.getPeakBusbwGbps() + " not below " + healthy);
        }
    }

    @Test
    void perIterationTimingKeepsEveryRanksIterationsAndASlowRankShowsInThem() throws Exception {
        Path fault = dir.resolve("slow-on");
        try (BenchAgent agent = agent("docker-default",
                Map.of("FAKE_NCCL_FAULT_SLOW", "1:20", "FAKE_NCCL_FAULT_ONLY_IF", fault.toString()))) {
            BenchSpec spec = BenchAgent.spec(16384, 65536, 60).addOps(BenchSpec.Op.ALL_REDUCE)
                    .addDtypes(BenchSpec.DataType.FLOAT32).setIters(10).setPerIteration(true).build();
            BenchAgent.Run healthy = agent.bench(TWO, spec);
            Files.createFile(fault);
            BenchAgent.Run slow = agent.bench(TWO, spec);
            for (BenchAgent.Run run : List.of(healthy, slow)) {
                CollectiveResult result = run.results().getResults(0);
                assertEquals(CollectiveResult.Outcome.OK, result.getOutcome(), result.getError());
                assertEquals(2, result.getRowsCount());
                for (SizeRow row : result.getRowsList()) {
                    for (Placement placement : List.of(row.getOutOfPlace(), row.getInPlace())) {
                        assertEquals(List.of(0, 1), placement.getRankIterationsList().stream()
                                .map(RankIterations::getRank).toList());
                        for (RankIterations rank : placement.getRankIterationsList()) {
                            assertEquals("", rank.getNode());
                            assertEquals(10, rank.getIterationUsCount());
                            assertTrue(rank.getIterationUsList().stream().allMatch(us -> us > 0), rank.toString());
                        }
                    }
                }
                // the live table's rows stay small: the iterations come once, with the results
                assertTrue(run.progress().stream().allMatch(p -> p.getRow().getOutOfPlace().getRankIterationsCount() == 0));
            }
            // rank 1 takes 20 times as long over each op; in lockstep the other rank waits for it
            SizeRow before = healthy.results().getResults(0).getRows(1);
            SizeRow after = slow.results().getResults(0).getRows(1);
            double healthyMedian = median(before.getOutOfPlace().getRankIterations(1).getIterationUsList());
            double slowMedian = median(after.getOutOfPlace().getRankIterations(1).getIterationUsList());
            assertTrue(slowMedian > 3 * healthyMedian, slowMedian + " us not above 3 x " + healthyMedian + " us");
        }
    }

    private static double median(List<Double> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    @Test
    void aCrashingRankIsAnErrorNamingIt() throws Exception {
        try (BenchAgent agent = agent("docker-default", Map.of("FAKE_NCCL_FAULT_CRASH", "2:3"))) {
            CollectiveResult result = agent.bench(FOUR, allReduce(60)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.ERROR, result.getOutcome(), result.getError());
            assertEquals(List.of(2), result.getFailedRanksList());
            assertTrue(result.getError().contains("rank 2 (GPU 2, pid ") && result.getError().contains("SIGABRT"),
                    result.getError());
        }
    }

    @Test
    void aRankThatNeverJoinsTimesOutAtInitEvenWhenBlockingIsRequested() throws Exception {
        // NCCL_COMM_BLOCKING=1 would make initialisation block past any deadline: the workers must not see it
        try (BenchAgent agent = agent("docker-default",
                Map.of("FAKE_NCCL_FAULT_NEVER_JOIN", "3", "NCCL_COMM_BLOCKING", "1"))) {
            CollectiveResult result = agent.bench(FOUR, allReduce(4)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.TIMEOUT, result.getOutcome(), result.getError());
            assertEquals("ncclCommInitRankConfig", result.getFailedCall());
            assertTrue(result.getError().contains("was still waiting for the other ranks to join"), result.getError());
            assertFalse(result.getError().contains("killed"), result.getError());
        }
    }

    @Test
    @Tag("slow")
    void aWorkerWhoseAbortHangsIsKilledWithinTheSpecsTimeout() throws Exception {
        try (BenchAgent agent = agent("docker-default",
                Map.of("FAKE_NCCL_FAULT_HANG", "0:3", "FAKE_NCCL_FAULT_ABORT_HANG", "0"))) {
            CollectiveResult result = agent.bench(TWO, allReduce(3)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.TIMEOUT, result.getOutcome(), result.getError());
            // the graces are a tenth of the 3 s each, carved out of it: the workers' deadline is 2.4 s
            assertTrue(result.getError().contains("did not complete within 2."), result.getError());
            assertTrue(result.getError().contains("rank(s) 0 did not answer by the deadline and were aborted; "
                    + "rank(s) 0 did not return from the abort within 0.3 s and were killed"), result.getError());
            assertEquals(List.of(0, 1), result.getFailedRanksList());
        }
    }

    @Test
    void eachGraceIsATenthOfTheBudgetAndAtMostFiveSeconds() {
        assertEquals(Duration.ofMillis(300), BenchSession.graceWithin(Duration.ofSeconds(3)));
        assertEquals(Duration.ofMillis(4_900), BenchSession.graceWithin(Duration.ofSeconds(49)));
        assertEquals(BenchSession.GRACE, BenchSession.graceWithin(Duration.ofSeconds(50)));
        assertEquals(BenchSession.GRACE, BenchSession.graceWithin(Duration.ofMinutes(10)));
        assertEquals("0.3", BenchSession.seconds(Duration.ofMillis(300)));
        assertEquals("5", BenchSession.seconds(BenchSession.GRACE));
    }

    @Test
    void ncclAlltoAllIsUsedWhereNcclHasIt() throws Exception {
        // the fake refuses ncclAlltoAll below 2.28, so the default 2.27 runs above used grouped send/recv
        try (BenchAgent agent = agent("docker-default", Map.of("FAKE_NCCL_VERSION", "22803"))) {
            BenchSpec spec = BenchAgent.spec(4096, 4096, 60).addOps(BenchSpec.Op.ALLTOALL)
                    .addDtypes(BenchSpec.DataType.FLOAT16).build();
            BenchAgent.Run run = agent.bench(FOUR, spec);
            assertEquals(CollectiveResult.Outcome.OK, run.results().getResults(0).getOutcome(),
                    run.results().getResults(0).getError());
            assertEquals("2.28.3", run.results().getWorkers(0).getNcclVersion());
        }
    }

    @Test
    @Tag("slow")
    void onNcclWithoutNonBlockingInitTheWorkersDeadlineIsTheGuard() throws Exception {
        // NCCL 2.13: ncclCommInitRank blocks, no abort reaches it; the agent kills the workers
        try (BenchAgent agent = agent("docker-default",
                Map.of("FAKE_NCCL_VERSION", "21303", "FAKE_NCCL_FAULT_NEVER_JOIN", "1"))) {
            CollectiveResult result = agent.bench(TWO, allReduce(2)).results().getResults(0);
            assertEquals(CollectiveResult.Outcome.TIMEOUT, result.getOutcome(), result.getError());
            assertEquals("ncclCommInitRankConfig", result.getFailedCall());
            // each grace is a tenth of the 2 s
            assertTrue(result.getError().contains("did not return from the abort within 0.2 s and were killed"),
                    result.getError());
        }
    }

    @Test
    void socketsOnANodeWithActiveInfinibandPortsAreAFallBack() throws Exception {
        try (BenchAgent agent = agent("bench-ib-h100-cx7-ndr-bf3-bond", Map.of("FAKE_NCCL_TRANSPORT", "socket"))) {
            TransportProof transport = agent.bench(TWO, allReduce(60)).results().getTransport();
            assertEquals(TransportProof.Verdict.SOCKET_FALLBACK, transport.getVerdict(), transport.getSummary());
            assertEquals("Socket", transport.getNetwork());
            assertEquals(9, transport.getActiveRdmaPortsCount());
        }
    }

    @Test
    void realLogsReplayedThroughTheWorkersAreJudged() throws Exception {
        try (BenchAgent fallback = agent("bench-ib-h100-cx7-ndr-bf3-bond",
                Map.of("FAKE_NCCL_DEBUG_REPLAY", NcclLogs.path("socket-fallback-nccl-issue-952.log").toString()))) {
            TransportProof transport = fallback.bench(List.of(0), allReduce(60)).results().getTransport();
            assertEquals(TransportProof.Verdict.SOCKET_FALLBACK, transport.getVerdict(), transport.getSummary());
        }
        try (BenchAgent gdr = agent("bench-ib-h100-cx7-ndr-bf3-bond",
                Map.of("FAKE_NCCL_DEBUG_REPLAY", NcclLogs.path("ib-gdrdma-aks-rdma-infiniband-pr36.log").toString()))) {
            TransportProof transport = gdr.bench(List.of(0), allReduce(60)).results().getTransport();
            assertEquals(TransportProof.Verdict.PROVEN, transport.getVerdict(), transport.getSummary());
            assertTrue(transport.getGdrdma());
        }
    }

    @Test
    void theTopologyNcclDumpsComesBackFromRankZero() throws Exception {
        Path topology = Paths.get(BenchServiceTest.class.getResource("/nccl-topo/p4d-24xl-topo.xml").toURI());
        try (BenchAgent agent = agent("docker-default", Map.of("FAKE_NCCL_TOPO_REPLAY", topology.toString()))) {
            List<BenchWorker> workers = agent.bench(TWO, allReduce(60)).results().getWorkersList();
            assertEquals(Files.readString(topology), workers.get(0).getNcclTopology(), "rank 0 dumps it, as NCCL does");
            assertEquals("", workers.get(1).getNcclTopology());
            assertTrue(workers.get(0).getNcclLog().contains("NCCL_TOPO_DUMP_FILE set by environment to "),
                    workers.get(0).getNcclLog());
        }
    }

    @Test
    void twoAgentsJoinOneCommunicatorWithTheIdPassedBetweenThem() throws Exception {
        Path a = Files.createDirectory(dir.resolve("node-a"));
        Path b = Files.createDirectory(dir.resolve("node-b"));
        try (BenchAgent first = BenchAgent.start(a, "docker-default",
                     BenchAgent.settings(a, Map.of("FAKE_NCCL_HOST", "node-a")).build());
             BenchAgent second = BenchAgent.start(b, "docker-default",
                     BenchAgent.settings(b, Map.of("FAKE_NCCL_HOST", "node-b")).build())) {
            CreateCommIdResponse id = first.createCommId(TWO);
            assertEquals(2, id.getLocalRanks());
            assertEquals(128, id.getCommId().size());
            BenchSpec spec = BenchAgent.spec(4096, 16384, 120).addOps(BenchSpec.Op.ALL_REDUCE)
                    .addOps(BenchSpec.Op.ALLTOALL).addDtypes(BenchSpec.DataType.FLOAT32).build();
            CompletableFuture<BenchAgent.Run> other = CompletableFuture.supplyAsync(
                    () -> second.runCollective(id.getCommId(), 4, 2, TWO, spec));
            BenchAgent.Run mine = first.runCollective(id.getCommId(), 4, 0, List.of(), spec);
            BenchAgent.Run theirs = other.get(150, TimeUnit.SECONDS);
            for (BenchAgent.Run run : List.of(mine, theirs)) {
                for (CollectiveResult result : run.results().getResultsList()) {
                    assertEquals(CollectiveResult.Outcome.OK, result.getOutcome(), result.getError());
                    assertEquals(4, result.getNranks());
                }
            }
            assertEquals(List.of(2, 3), List.of(theirs.results().getWorkers(0).getRank(),
                    theirs.results().getWorkers(1).getRank()));
            // every rank reports the same averaged row
            assertEquals(mine.results().getResults(0).getRows(0), theirs.results().getResults(0).getRows(0));
            assertTrue(mine.results().getTransport().getTransportsList().contains("NET/IB/GDRDMA"),
                    mine.results().getTransport().toString());
            assertEquals("", first.leakReport() + second.leakReport());
        }
    }

    @Test
    void refusalsAreStatusCodesNamingTheProblem() throws Exception {
        try (BenchAgent agent = agent("docker-default", Map.of("FAKE_CUDA_DEVICE_MEMORY", Long.toString(2L << 30)))) {
            StringBuilder holder = new StringBuilder();
            Optional<NodeBenchLock> lock = NodeBenchLock.tryAcquire(dir.resolve("lock"), "another agent", holder);
            assertTrue(lock.isPresent());
            StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, () -> agent.createCommId(TWO));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode());
            assertTrue(busy.getStatus().getDescription().contains("is held by another agent"), busy.getMessage());
            lock.get().close();

            StatusRuntimeException gpu = assertThrows(StatusRuntimeException.class, () -> agent.createCommId(List.of(7)));
            assertEquals(Status.Code.INVALID_ARGUMENT, gpu.getStatus().getCode());
            assertEquals("gpus: GPU 7 does not exist: the CUDA runtime sees 4", gpu.getStatus().getDescription());

            StatusRuntimeException setting = assertThrows(StatusRuntimeException.class,
                    () -> agent.stub.createCommId(dev.preflight.proto.v1.CreateCommIdRequest.newBuilder()
                            .addNcclSettings(NcclSetting.newBuilder().setName("NCCL_NET_PLUGIN").setValue("/tmp/evil.so"))
                            .build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, setting.getStatus().getCode());
            assertTrue(setting.getStatus().getDescription().startsWith("nccl_settings: [NCCL_NET_PLUGIN]: refused, it loads"),
                    setting.getStatus().getDescription());

            CreateCommIdResponse id = agent.createCommId(List.of(0));
            BenchSpec huge = BenchAgent.spec(1L << 30, 1L << 30, 60).addOps(BenchSpec.Op.ALL_REDUCE)
                    .addDtypes(BenchSpec.DataType.FLOAT32).build();
            StatusRuntimeException memory = assertThrows(StatusRuntimeException.class,
                    () -> agent.runCollective(id.getCommId(), 1, 0, List.of(), huge));
            assertEquals(Status.Code.INVALID_ARGUMENT, memory.getStatus().getCode());
            assertEquals("spec.max_bytes: 1073741824 bytes needs 2 GiB of send and receive buffers plus 1 GiB for NCCL "
                    + "on GPU 0, which has 2 GiB free", memory.getStatus().getDescription());

            StatusRuntimeException spec = assertThrows(StatusRuntimeException.class,
                    () -> agent.runCollective(ByteString.copyFrom(new byte[128]), 1, 0, List.of(),
                            allReduce(60).toBuilder().setGraphLaunches(2).setPerIteration(true).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, spec.getStatus().getCode());
            assertTrue(spec.getStatus().getDescription().startsWith("spec.per_iteration: cannot be combined"),
                    spec.getStatus().getDescription());

            BenchSpec manyTimes = BenchAgent.spec(1024, 4096, 60).addOps(BenchSpec.Op.ALL_REDUCE)
                    .addDtypes(BenchSpec.DataType.FLOAT32).setPerIteration(true).setIters(65_537).build();
            StatusRuntimeException times = assertThrows(StatusRuntimeException.class,
                    () -> agent.runCollective(ByteString.copyFrom(new byte[128]), 1, 0, List.of(), manyTimes));
            assertEquals(Status.Code.INVALID_ARGUMENT, times.getStatus().getCode());
            assertEquals("spec.iters x sizes x ops x dtypes: 131074 per-iteration times per rank with per_iteration, "
                    + "at most 131072", times.getStatus().getDescription());
        }
    }

    @Test
    void benchesOfOneRunShareTheNodeOnDisjointGpusAndKeepOtherBenchesOff() throws Exception {
        try (BenchAgent agent = agent("docker-default", Map.of())) {
            CreateCommIdResponse rail0 = agent.createCommId("run-1", List.of(0));
            CreateCommIdResponse rail1 = agent.createCommId("run-1", List.of(1));

            StatusRuntimeException overlap = assertThrows(StatusRuntimeException.class,
                    () -> agent.createCommId("run-1", List.of(1, 2)));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, overlap.getStatus().getCode());
            assertEquals("another bench is running on this node: GPUs [1, 2] overlap GPUs [0, 1] for run run-1",
                    overlap.getStatus().getDescription());
            for (String other : List.of("run-2", "")) {
                StatusRuntimeException busy = assertThrows(StatusRuntimeException.class,
                        () -> agent.createCommId(other, List.of(3)));
                assertEquals(Status.Code.RESOURCE_EXHAUSTED, busy.getStatus().getCode(), other);
                assertEquals("another bench is running on this node: this agent is benching GPUs [0, 1] for run run-1",
                        busy.getStatus().getDescription());
            }
            StatusRuntimeException bad = assertThrows(StatusRuntimeException.class,
                    () -> agent.createCommId("run 1; rm -rf /", List.of(3)));
            assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
            assertEquals("bench_run: 'run 1; rm -rf /', expected at most 64 of A-Z a-z 0-9 . _ : -",
                    bad.getStatus().getDescription());

            CompletableFuture<BenchAgent.Run> second = CompletableFuture.supplyAsync(
                    () -> agent.runCollective(rail1.getCommId(), 1, 0, List.of(), allReduce(60)));
            BenchAgent.Run first = agent.runCollective(rail0.getCommId(), 1, 0, List.of(), allReduce(60));
            for (BenchAgent.Run run : List.of(first, second.get(150, TimeUnit.SECONDS))) {
                CollectiveResult result = run.results().getResults(0);
                assertEquals(CollectiveResult.Outcome.OK, result.getOutcome(), result.getError());
            }
            assertEquals(List.of(0, 1), List.of(first.results().getWorkers(0).getGpu(),
                    second.get().results().getWorkers(0).getGpu()));

            // the run's benches are over: the node is free for anyone
            assertEquals(4, agent.bench(List.of(), allReduce(60)).results().getResults(0).getNranks());
            assertEquals("", agent.leakReport());
        }
    }

    @Test
    void busyGpusAreRefusedUnlessForced() throws Exception {
        GpuBusyProbe tenant = gpus -> List.of("GPU 1: pid 4242 (python3), 30.5 GiB");
        try (BenchAgent agent = BenchAgent.start(dir, "docker-default",
                BenchAgent.settings(dir, Map.of()).gpuBusyProbe(tenant).build())) {
            StatusRuntimeException busy = assertThrows(StatusRuntimeException.class, () -> agent.createCommId(TWO));
            assertEquals(Status.Code.FAILED_PRECONDITION, busy.getStatus().getCode());
            assertEquals("other processes use the GPUs (force to bench anyway): GPU 1: pid 4242 (python3), 30.5 GiB",
                    busy.getStatus().getDescription());
            CreateCommIdResponse forced = agent.stub.createCommId(dev.preflight.proto.v1.CreateCommIdRequest.newBuilder()
                    .addAllGpus(TWO).setForce(true).build());
            assertEquals(2, forced.getLocalRanks());
            CollectiveResult result = agent.runCollective(forced.getCommId(), 2, 0, List.of(), allReduce(60))
                    .results().getResults(0);
            assertEquals(CollectiveResult.Outcome.OK, result.getOutcome(), result.getError());
        }
    }

    @Test
    void aMissingNcclLibraryIsNamed() throws Exception {
        try (BenchAgent agent = BenchAgent.start(dir, "docker-default",
                AgentSettings.builder().worker(BenchAgent.worker(dir, Map.of()).ncclLibrary("/nonexistent/libnccl.so.2").build()).build())) {
            StatusRuntimeException missing = assertThrows(StatusRuntimeException.class, () -> agent.createCommId(List.of(0)));
            assertEquals(Status.Code.FAILED_PRECONDITION, missing.getStatus().getCode());
            assertTrue(missing.getStatus().getDescription().startsWith("GPU 0: cannot load NCCL (/nonexistent/libnccl.so.2): "),
                    missing.getStatus().getDescription());
        }
    }
}
