package dev.preflight.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Timestamp;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.NodeInfo;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RankIterations;
import dev.preflight.proto.v1.ReportArtifact;
import dev.preflight.proto.v1.SizeRow;
import dev.preflight.proto.v1.TransportProof;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A communicator's bench as nccl-tests' -J JSON: its keys, the slowest rank per iteration, the
 * statistics as nccl-tests computes them; and nccl-tests' own analyser reading the file in each of
 * its modes where PREFLIGHT_NCCL_TESTS_DIR names an nccl-tests tree.
 */
class NcclTestsJsonTest {
    /** Four ranks on two nodes, 8 iterations; rank 3 (node-2's second GPU) straggles in iteration 5. */
    static final double[][] ITERATIONS = {
        {41.0, 40.5, 40.8, 41.2, 40.9, 41.1, 40.7, 41.0},
        {40.9, 40.6, 40.7, 41.0, 41.3, 40.8, 40.9, 40.8},
        {41.2, 40.4, 40.9, 41.1, 40.8, 41.0, 41.4, 40.6},
        {41.1, 40.7, 40.6, 41.3, 41.0, 163.0, 40.8, 40.9},
    };

    @TempDir
    Path dir;

    static PreflightReport report() {
        CollectiveResult.Builder result = CollectiveResult.newBuilder().setOp(BenchSpec.Op.ALL_REDUCE)
                .setDtype(BenchSpec.DataType.BFLOAT16).setNranks(4).setOutcome(CollectiveResult.Outcome.OK);
        for (long size : new long[] {8192, 16384}) {
            Placement.Builder oop = Placement.newBuilder().setTimeUs(48.5).setAlgbwGbps(size / 48.5e3)
                    .setBusbwGbps(size / 48.5e3 * 1.5).setWrong(0).setP50Us(41).setP99Us(163);
            Placement.Builder ip = oop.clone().setTimeUs(47.9);
            for (int rank = 0; rank < 4; rank++) {
                RankIterations.Builder it = RankIterations.newBuilder().setRank(rank).setNode(rank < 2 ? "node-1" : "node-2");
                for (double us : ITERATIONS[rank]) {
                    it.addIterationUs(us);
                }
                oop.addRankIterations(it);
                ip.addRankIterations(it);
            }
            result.addRows(SizeRow.newBuilder().setSizeBytes(size).setCount(size / 2).setOutOfPlace(oop).setInPlace(ip));
        }
        CollectiveResults.Builder comm = CollectiveResults.newBuilder().setPhase("inference")
                .setCommunicator("tp all-reduce stage 0 node-1~node-2 (per op)").addNodes("node-1").addNodes("node-2")
                .setAttempt(1).addResults(result)
                .setTransport(TransportProof.newBuilder().setNcclVersion("2.27.3"))
                .setSpec(BenchSpec.newBuilder().addOps(BenchSpec.Op.ALL_REDUCE).addDtypes(BenchSpec.DataType.BFLOAT16)
                        .setMinBytes(8192).setMaxBytes(16384).setStepFactor(2).setIters(8).setWarmupIters(2)
                        .setPerIteration(true));
        for (int rank = 0; rank < 4; rank++) {
            comm.addWorkers(BenchWorker.newBuilder().setRank(rank).setGpu(rank % 2).setPid(4000 + rank)
                    .setPciBusId(rank % 2 == 0 ? "0000:19:00.0" : "0000:3B:00.0").setNode(rank < 2 ? "node-1" : "node-2")
                    .setNcclVersion("2.27.3"));
        }
        PreflightReport.Builder report = PreflightReport.newBuilder().setSchemaVersion(JsonReport.SCHEMA_VERSION)
                .setCommandLine("preflight run --agents node-1:7744,node-2:7744 --profile full")
                .setStartedAt(Timestamp.newBuilder().setSeconds(1_764_000_000))
                .setFinishedAt(Timestamp.newBuilder().setSeconds(1_764_000_095))
                .putWorkloadEnv("NCCL_IB_HCA", "=mlx5_0:1")
                .addCollectives(comm);
        for (String node : List.of("node-1", "node-2")) {
            report.addNodes(NodeReport.newBuilder().setNodeName(node).setHostname(node).setInfo(NodeInfo.newBuilder()
                    .setGpuInventory(GpuInventory.newBuilder()
                            .addGpus(Gpu.newBuilder().setIndex(0).setName("NVIDIA H100 80GB HBM3").setPciBusId("0000:19:00.0"))
                            .addGpus(Gpu.newBuilder().setIndex(1).setName("NVIDIA H100 80GB HBM3").setPciBusId("0000:3b:00.0")))));
        }
        return report.build();
    }

    @Test
    void aCommunicatorIsWrittenWithTheKeysNcclTestsWrites() {
        PreflightReport report = report();
        String text = NcclTestsJson.render(report, report.getCollectives(0), "");
        JsonObject json = JsonParser.parseString(text).getAsJsonObject();
        assertEquals(List.of("version", "start_time", "args", "env", "nccl_version", "config", "results", "out_of_bounds",
                "average_bus_bandwidth", "errors", "end_time"), new ArrayList<>(json.keySet()));
        assertEquals(3, json.get("version").getAsInt());
        assertEquals("2025-11-24 16:00:00", json.get("start_time").getAsString());
        assertEquals(22703, json.get("nccl_version").getAsInt());
        assertEquals("NCCL_IB_HCA==mlx5_0:1", json.getAsJsonArray("env").get(0).getAsString());

        JsonObject config = json.getAsJsonObject("config");
        assertEquals(List.of("nthreads", "ngpus", "minimum_bytes", "maximum_bytes", "step_factor", "warmup_iters",
                "iterations", "aggregated_iterations", "validation", "graph", "blocking_collectives", "per_iter_timing",
                "per_iter_skip", "parallel_init", "devices"), new ArrayList<>(config.keySet()));
        assertEquals(8, config.get("iterations").getAsInt());
        assertEquals("true", config.get("per_iter_timing").getAsString());
        JsonObject device = config.getAsJsonArray("devices").get(3).getAsJsonObject();
        assertEquals(3, device.get("rank").getAsInt());
        assertEquals("node-2", device.get("hostname").getAsString());
        assertEquals("0000:3b:00", device.get("device_hex").getAsString());
        assertEquals("NVIDIA H100 80GB HBM3", device.get("device_info").getAsString());

        JsonObject row = json.getAsJsonArray("results").get(1).getAsJsonObject();
        assertEquals(List.of("size", "count", "type", "redop", "root", "out_of_place", "out_of_place_per_iter", "in_place",
                "in_place_per_iter", "actual_iterations", "experiment_name"), new ArrayList<>(row.keySet()));
        assertEquals(16384, row.get("size").getAsLong());
        assertEquals("bfloat16", row.get("type").getAsString());
        assertEquals("sum", row.get("redop").getAsString());
        assertEquals("    -1", row.get("root").getAsString());
        assertEquals(List.of("time", "alg_bw", "bus_bw", "nwrong"),
                new ArrayList<>(row.getAsJsonObject("out_of_place").keySet()));

        JsonObject perIter = row.getAsJsonObject("out_of_place_per_iter");
        JsonArray rows = perIter.getAsJsonArray("per_process_max_times_us");
        assertEquals(4, rows.size());
        assertEquals(163.0, rows.get(3).getAsJsonArray().get(5).getAsDouble());
        // times_us is the slowest rank of each iteration, not a mean
        List<Double> slowest = new ArrayList<>();
        perIter.getAsJsonArray("times_us").forEach(t -> slowest.add(t.getAsDouble()));
        assertEquals(List.of(41.2, 40.7, 40.9, 41.3, 41.3, 163.0, 41.4, 41.0), slowest);
        assertEquals(163.0, perIter.get("max_us").getAsDouble());
        assertEquals(40.7, perIter.get("min_us").getAsDouble());
        // sorted: 40.7 40.9 41.0 41.2 41.3 41.3 41.4 163.0; p50 = sorted[4], p95 and p99 the nearest rank
        assertEquals(41.3, perIter.get("p50_us").getAsDouble());
        assertEquals(163.0, perIter.get("p99_us").getAsDouble());
        assertEquals(56.35, perIter.get("avg_us").getAsDouble(), 1e-6);
    }

    @Test
    void anUncheckedPlacementIsNullAndOneRankWritesNoProcessRows() {
        PreflightReport report = report();
        CollectiveResults.Builder comm = report.getCollectives(0).toBuilder().clearWorkers().clearSpec();
        CollectiveResult.Builder result = comm.getResultsBuilder(0).setOp(BenchSpec.Op.ALLTOALL).setNranks(1);
        for (SizeRow.Builder row : result.getRowsBuilderList()) {
            row.getInPlaceBuilder().setWrong(-1).clearRankIterations().addRankIterations(RankIterations.newBuilder()
                    .setRank(0).addIterationUs(10).addIterationUs(30));
            row.getOutOfPlaceBuilder().clearRankIterations();
        }
        JsonObject json = JsonParser.parseString(NcclTestsJson.render(report, comm.build(), "gpu-01")).getAsJsonObject();
        JsonObject row = json.getAsJsonArray("results").get(0).getAsJsonObject();
        assertTrue(row.get("in_place").getAsJsonObject().get("nwrong").isJsonNull());
        assertEquals("none", row.get("redop").getAsString());
        assertEquals("alltoall_perf", row.get("experiment_name").getAsString());
        assertTrue(!row.has("out_of_place_per_iter"));
        JsonObject perIter = row.getAsJsonObject("in_place_per_iter");
        assertTrue(!perIter.has("per_process_max_times_us"), perIter.toString());
        assertEquals(20.0, perIter.get("avg_us").getAsDouble());
        assertEquals(10.0, perIter.get("stdev_us").getAsDouble());
        // without the spec (a saved report of an older version) the sizes and iterations come from the rows
        assertEquals(8192, json.getAsJsonObject("config").get("minimum_bytes").getAsLong());
        assertEquals(2, json.getAsJsonObject("config").get("step_factor").getAsLong());
    }

    @Test
    void eachCommunicatorIsAnArtifactUnderNcclTestsWrittenAgainFromTheSavedReport() throws Exception {
        List<Path> written = ReportWriter.write(report(), dir, Set.of(ReportFormat.JSON));
        PreflightReport saved = JsonReport.read(written.get(0));
        List<ReportArtifact> files = saved.getArtifactsList().stream()
                .filter(a -> a.getKind() == ReportArtifact.Kind.NCCL_TESTS_JSON).toList();
        assertEquals(List.of("artifacts/nccl-tests/inference-tp-all-reduce-stage-0-node-1-node-2-per-op.json"),
                files.stream().map(ReportArtifact::getPath).toList());
        String first = Files.readString(dir.resolve(files.get(0).getPath()));
        Files.delete(dir.resolve(files.get(0).getPath()));
        PreflightReport again = JsonReport.read(ReportWriter.write(saved, dir, Set.of(ReportFormat.JSON)).get(0));
        assertEquals(saved.getArtifactsList(), again.getArtifactsList());
        assertEquals(first, Files.readString(dir.resolve(files.get(0).getPath())));
    }

    /**
     * nccl-tests' tools/analyze_perf_json.py, unchanged, in each of its modes: it must parse the
     * file, find the rows consistent, and name rank 3 on node-2 as the straggler of iteration 5.
     */
    @Test
    void ncclTestsOwnAnalyserReadsTheFileInEveryMode() throws Exception {
        String tree = System.getenv("PREFLIGHT_NCCL_TESTS_DIR");
        Assumptions.assumeTrue(tree != null && !tree.isBlank(), "PREFLIGHT_NCCL_TESTS_DIR is not set: it names an "
                + "nccl-tests source tree (2.19+) whose tools/analyze_perf_json.py reads the file");
        Path analyser = Path.of(tree, "tools", "analyze_perf_json.py");
        Assumptions.assumeTrue(Files.isRegularFile(analyser), "PREFLIGHT_NCCL_TESTS_DIR=" + tree
                + " has no tools/analyze_perf_json.py (nccl-tests 2.19 or later has it)");
        PreflightReport report = report();
        Path file = dir.resolve("inference.json");
        Files.writeString(file, NcclTestsJson.render(report, report.getCollectives(0), ""));

        String overview = analyse(analyser, file);
        assertTrue(overview.contains("Process rows: 4"), overview);
        assertTrue(overview.contains("Consistency (times_us == max over process rows, OOP): PASS"), overview);
        assertTrue(overview.contains("PER-ITERATION STATS (OOP)"), overview);
        String straggler = analyse(analyser, file, "--straggler", "--sizes", "8192");
        assertTrue(straggler.contains("slowest=process  3"), straggler);
        String spikes = analyse(analyser, file, "--spikes");
        assertTrue(spikes.contains("iter  5:  1/4 processes spiked  max=163.0  [STRAGGLER: process 3]"), spikes);
        String inPlace = analyse(analyser, file, "--in-place", "--spikes");
        assertTrue(inPlace.contains("Consistency (times_us == max over process rows, IP): PASS"), inPlace);
        assertTrue(inPlace.contains("[STRAGGLER: process 3]"), inPlace);
        String iter0 = analyse(analyser, file, "--iter0");
        assertTrue(iter0.contains("ITERATION 0 WARMUP IMPACT"), iter0);
        String nodes = analyse(analyser, file, "--nodes", "--sizes", "8192,16384");
        assertTrue(nodes.contains("PER-NODE ANALYSIS (2 nodes"), nodes);
        assertTrue(nodes.contains("Node 1 (node-2, processes  2- 3)"), nodes);
        String all = analyse(analyser, file, "--all", "--threshold", "2");
        assertTrue(all.contains("SPIKE ANALYSIS (>2.0x avg, OOP)") && all.contains("PER-NODE ANALYSIS"), all);
    }

    private static String analyse(Path analyser, Path file, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("python3", analyser.toString(), file.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the analyser did not finish: " + command);
        assertEquals(0, process.exitValue(), command + "\n" + output);
        return output;
    }
}
