package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.NodeGpus;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RankIterations;
import dev.preflight.proto.v1.ReportArtifact;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.SizeRow;
import dev.preflight.reports.JsonReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bench phase of `preflight run` over three real agent processes on loopback, their bench
 * workers running the fake CUDA runtime and NCCL: nodes with two, two and one GPU, so ranks
 * follow uneven GPU counts. Tiny sizes and few iterations keep it quick.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MultiNodeBenchIT {
    @TempDir
    Path dir;

    private AgentProcess agent(int node, int gpus) throws Exception {
        return agent(node, gpus, Map.of());
    }

    private AgentProcess agent(int node, int gpus, Map<String, String> faults) throws Exception {
        Path tree = TestFixtures.distinctNode("memlock-unlimited", dir.resolve("node-" + node), "node-" + node);
        String fake = System.getProperty("preflight.fake.dir");
        List<String> args = new ArrayList<>(List.of("--node-name", "node-" + node,
                "--cudart-lib", Paths.get(fake, "libfakecudart.so").toString(),
                "--nccl-lib", Paths.get(fake, "libfakenccl.so").toString(),
                // one machine, three nodes: each needs its own node lock
                "--bench-lock-dir", dir.resolve("lock-" + node).toString(),
                "--bench-dir", dir.resolve("bench-" + node).toString()));
        args.addAll(TestFixtures.rootFlags(tree));
        Map<String, String> env = new LinkedHashMap<>(faults);
        env.put("FAKE_CUDA_DEVICE_COUNT", Integer.toString(gpus));
        env.put("FAKE_NCCL_HOST", "node-" + node);
        return AgentProcess.start(args, env);
    }

    @Test
    void theFullProfileRunsEveryBenchPhaseAcrossUnevenNodes() throws Exception {
        try (AgentProcess a = agent(1, 2); AgentProcess b = agent(2, 2); AgentProcess c = agent(3, 1)) {
            Path out = dir.resolve("out");
            // the fake NCCL on a CPU takes hundreds of microseconds per op: judge its latency on a loose policy
            Path policy = Files.writeString(dir.resolve("loose-latency.yaml"), "latency:\n  tpAllReduceWarnAbove: 100ms\n"
                    + "  tpAllReduceFailAbove: 1s\n  ppSendRecvWarnAbove: 100ms\n  ppSendRecvFailAbove: 1s\n");
            List<String> command = AgentProcess.javaCommand("run", "--agents",
                    a.address() + "," + b.address() + "," + c.address(), "--profile", "full", "--max-bytes", "64K",
                    "--iters", "3", "--checks", "host.shm", "--out", out.toString(), "--policy", policy.toString(),
                    // three agents' first connections on two busy shared cores can pass the 10 s default
                    "--connect-timeout", "60s");
            Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(run.waitFor(200, TimeUnit.SECONDS), output);
            assertEquals(0, run.exitValue(), output);
            assertTrue(output.contains("profile full: 3 node(s), predicted "), output);

            PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
            for (RunPhase phase : report.getPhasesList()) {
                assertEquals(RunPhase.Outcome.COMPLETED, phase.getOutcome(), phase.toString());
            }
            // fault_isolation runs only when a collective failed, ran slow or had straggling iterations,
            // which on two shared cores is a matter of load: the other phases always run, in order
            assertEquals(List.of("checks", "consistency", "intra_node", "all_nodes", "rails", "pairwise", "inference",
                    "hostnet"), report.getPhasesList().stream().map(RunPhase::getName)
                    .filter(name -> !name.equals("fault_isolation")).toList());
            Measurements m = report.getMeasurements();
            assertEquals(List.of(2, 2, 1), m.getGpusList().stream().map(NodeGpus::getCount).toList());

            Map<String, Sweep> series = new LinkedHashMap<>();
            for (Sweep sweep : m.getSeriesList()) {
                series.put(sweep.getKind() + " " + sweep.getOp() + " " + String.join("~", sweep.getNodesList())
                        + (sweep.getKind() == Sweep.Kind.RAIL ? " rail " + sweep.getRail() : ""), sweep);
                assertEquals(0, sweep.getPointsList().stream().mapToLong(Measurements.SweepPoint::getWrong).sum());
            }
            assertEquals(1, series.get("INTRA_NODE all_reduce node-3").getRanks());
            for (String op : List.of("all_reduce", "all_gather", "reduce_scatter", "all_to_all")) {
                Sweep all = series.get("ALL_NODES " + op + " node-1~node-2~node-3");
                assertEquals(5, all.getRanks(), op);
                assertEquals("bfloat16", all.getDtype());
                assertTrue(all.getPoints(all.getPointsCount() - 1).getBusbwBytesPerSecond() > 0, op);
                assertEquals("NET/IB/GDRDMA", all.getTransport());
            }
            // rail 0 over all three nodes, then between each pair; rail 1 has only nodes 1 and 2
            assertEquals(3, series.get("RAIL all_reduce node-1~node-2~node-3 rail 0").getRanks());
            assertTrue(series.containsKey("RAIL all_reduce node-2~node-3 rail 0"), series.keySet().toString());
            assertTrue(series.containsKey("RAIL all_reduce node-1~node-2 rail 1"), series.keySet().toString());
            assertEquals(3, m.getPairwise().getPairsCount());
            assertEquals(4, series.get("PAIR send_recv node-1~node-2").getRanks());
            assertEquals(2, series.get("PAIR send_recv node-1~node-3").getRanks(), "the smaller node's GPU count");

            // TP 1 (the smallest node) x PP 3: three stages' all-reduce, two boundaries' send/recv
            assertTrue(m.getLatencyList().stream().anyMatch(l -> l.getOp().equals("send_recv")));
            for (LatencyResult latency : m.getLatencyList()) {
                assertTrue(latency.getP50Us() > 0 && latency.getGraphMeanUs() > 0, latency.toString());
            }

            // per-op latency keeps every rank's iterations, each with the node it ran on
            CollectiveResults boundary = report.getCollectivesList().stream()
                    .filter(r -> r.getPhase().equals("inference") && r.getCommunicator().startsWith("pp send/recv")
                            && r.getCommunicator().endsWith("(per op)"))
                    .findFirst().orElseThrow();
            Map<Integer, String> nodeOfRank = new LinkedHashMap<>();
            boundary.getWorkersList().forEach(w -> nodeOfRank.put(w.getRank(), w.getNode()));
            List<String> rankNodes = List.of(nodeOfRank.get(0), nodeOfRank.get(1));
            for (SizeRow row : boundary.getResults(0).getRowsList()) {
                List<RankIterations> ranks = row.getOutOfPlace().getRankIterationsList();
                assertEquals(List.of(0, 1), ranks.stream().map(RankIterations::getRank).toList());
                assertEquals(rankNodes, ranks.stream().map(RankIterations::getNode).toList());
                assertTrue(ranks.stream().allMatch(r -> r.getIterationUsCount() == 3), ranks.toString());
            }

            // every communicator is also a file in nccl-tests' JSON, the per-op one with each rank's iterations
            List<ReportArtifact> ncclTests = report.getArtifactsList().stream()
                    .filter(f -> f.getKind() == ReportArtifact.Kind.NCCL_TESTS_JSON).toList();
            assertEquals(report.getCollectivesCount(), ncclTests.size(), ncclTests.toString());
            Path boundaryFile = out.resolve("artifacts/nccl-tests/" + ("inference-" + boundary.getCommunicator())
                    .replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("-+$", "") + ".json");
            JsonObject boundaryJson = JsonParser.parseString(Files.readString(boundaryFile)).getAsJsonObject();
            JsonObject firstRow = boundaryJson.getAsJsonArray("results").get(0).getAsJsonObject();
            assertEquals(2, firstRow.getAsJsonObject("out_of_place_per_iter").getAsJsonArray("per_process_max_times_us").size());
            assertEquals(rankNodes, List.of(
                    boundaryJson.getAsJsonObject("config").getAsJsonArray("devices").get(0).getAsJsonObject().get("hostname").getAsString(),
                    boundaryJson.getAsJsonObject("config").getAsJsonArray("devices").get(1).getAsJsonObject().get("hostname").getAsString()));

            // ranks are node-major: node-3's only GPU is rank 4 of the all-node communicator
            CollectiveResults all = report.getCollectivesList().stream()
                    .filter(r -> r.getPhase().equals("all_nodes")).findFirst().orElseThrow();
            assertEquals(List.of("node-1", "node-2", "node-3"), all.getNodesList());
            assertEquals(List.of(0, 1, 2, 3, 4), all.getWorkersList().stream().map(BenchWorker::getRank).sorted().toList());
            // the first communicator across nodes keeps each node's first worker's log; later ones keep none
            assertEquals(List.of("node-1/0", "node-2/2", "node-3/4"), all.getWorkersList().stream()
                    .filter(w -> !w.getNcclLog().isEmpty()).map(w -> w.getNode() + "/" + w.getRank()).sorted().toList());
            assertTrue(report.getCollectivesList().stream().filter(r -> r.getPhase().equals("rails"))
                    .allMatch(r -> r.getWorkersList().stream().allMatch(w -> w.getNcclLog().isEmpty())));
            // and every kept log is a file beside the report: each node's inside the node and across nodes
            for (String node : List.of("node-1", "node-2", "node-3")) {
                List<ReportArtifact> logs = report.getArtifactsList().stream()
                        .filter(f -> f.getKind() == ReportArtifact.Kind.NCCL_DEBUG_LOG && f.getNode().equals(node)).toList();
                assertEquals(2, logs.size(), node + ": " + logs);
                for (ReportArtifact log : logs) {
                    assertTrue(Files.readString(out.resolve(log.getPath())).contains("NCCL INFO"), log.getPath());
                }
            }

            for (NodeReport node : report.getNodesList()) {
                assertEquals(NodeReport.Reachability.REACHABLE, node.getReachability());
                CheckResult transport = node.getChecksList().stream().filter(x -> x.getId().equals("nccl.transport"))
                        .findFirst().orElseThrow(() -> new AssertionError(node.getChecksList().toString()));
                assertEquals(CheckResult.Status.PASS, transport.getStatus(), transport.toString());
            }
            assertTrue(Files.readString(out.resolve("artifacts/nccl-tests-commands.sh")).contains("alltoall_perf"));
        }
    }

    /**
     * Global rank 3 (node-2's second GPU) corrupts what it receives on every attempt: the FAIL and
     * the correctness finding name that rank, its node and its GPU, and nothing else.
     */
    @Test
    @Tag("slow")
    void aCorruptingRankIsNamedWithItsNodeAndGpu() throws Exception {
        Map<String, String> corrupt = Map.of("FAKE_NCCL_FAULT_CORRUPT", "3");
        try (AgentProcess a = agent(1, 2, corrupt); AgentProcess b = agent(2, 2, corrupt)) {
            Path out = dir.resolve("out");
            List<String> command = AgentProcess.javaCommand("run", "--agents", a.address() + "," + b.address(),
                    "--profile", "quick", "--phases", "all_nodes", "--max-bytes", "64K", "--iters", "2",
                    "--checks", "host.shm", "--out", out.toString(), "--connect-timeout", "60s");
            Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(run.waitFor(200, TimeUnit.SECONDS), output);
            assertEquals(1, run.exitValue(), output);

            PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
            CollectiveResult result = report.getCollectivesList().stream()
                    .filter(r -> r.getPhase().equals("all_nodes")).findFirst().orElseThrow().getResults(0);
            assertEquals(CollectiveResult.Outcome.WRONG_RESULTS, result.getOutcome(), result.getError());
            assertEquals(List.of(3), result.getFailedRanksList());
            assertEquals(1, result.getWrongRanksCount(), result.getWrongRanksList().toString());
            assertEquals("node-2", result.getWrongRanks(0).getNode());
            assertEquals(1, result.getWrongRanks(0).getGpu());

            CheckResult fail = report.getClusterChecksList().stream()
                    .filter(c -> c.getId().equals("nccl.collective")).findFirst().orElseThrow();
            assertEquals(CheckResult.Status.FAIL, fail.getStatus(), fail.toString());
            assertTrue(fail.getSummary().contains("WRONG_RESULTS on rank 3 (node-2 GPU 1)"), fail.getSummary());
            CheckResult correctness = report.getClusterChecksList().stream()
                    .filter(c -> c.getId().equals("nccl.correctness")).findFirst().orElseThrow();
            assertTrue(correctness.getSummary().contains("in the output of rank 3 (node-2 GPU 1)"),
                    correctness.getSummary());
        }
    }
}
