package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.ReportArtifact;
import dev.preflight.proto.v1.TransportProof;
import dev.preflight.reports.JsonReport;
import dev.preflight.reports.Names;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `preflight bench` in this JVM against the fake CUDA runtime and NCCL (Surefire sets FAKE_CUDA_DEVICE_COUNT=2). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class BenchCommandTest {
    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {}

    private Result bench(String... args) {
        return benchWith(fake("libfakenccl.so"), args);
    }

    private Result benchWith(String nccl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of("bench",
                "--cudart-lib", fake("libfakecudart.so"), "--nccl-lib", nccl,
                "--bench-lock-dir", dir.resolve("lock").toString(), "--bench-dir", dir.resolve("work").toString(),
                "--out", dir.resolve("out").toString()));
        all.addAll(Arrays.asList(args));
        int exit = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(new String[0]));
        return new Result(exit, out.toString(), err.toString());
    }

    private static String fake(String name) {
        return Paths.get(System.getProperty("preflight.fake.dir"), name).toString();
    }

    @Test
    void benchesTheNodesGpusPrintsNcclTestsTableAndWritesTheReport() throws Exception {
        Result result = bench("--op", "all_reduce,alltoall", "--dtype", "bfloat16", "--min-bytes", "1K",
                "--max-bytes", "4K", "--iters", "3", "--timeout", "60s");
        assertEquals(0, result.exit(), result.err() + result.out());
        assertTrue(result.out().contains("# all_reduce bfloat16 on 2 ranks\n"), result.out());
        assertTrue(result.out().contains("#       size         count      type   redop    root     time   algbw   busbw "
                + "#wrong     time   algbw   busbw #wrong\n"), result.out());
        assertTrue(result.out().contains("        4096          2048  bfloat16     sum      -1"), result.out());
        assertTrue(result.out().contains("# Out of bounds values : 0 OK\n"), result.out());
        assertTrue(result.out().contains("PASS  nccl.alltoall.bfloat16"), result.out());
        assertTrue(result.err().contains("preflight: 2 bench worker(s) on GPU(s) 0,1, NCCL 2.27.3"), result.err());

        PreflightReport report = JsonReport.read(dir.resolve("out").resolve(JsonReport.FILE_NAME));
        // preflight run's shape: the results among the collectives, the sweeps among the measurements
        assertEquals(1, report.getCollectivesCount());
        CollectiveResults collective = report.getCollectives(0);
        String node = Names.node(report.getNodes(0));
        assertEquals("intra_node", collective.getPhase());
        assertEquals(List.of(node), collective.getNodesList());
        assertEquals(2, collective.getResultsCount());
        CollectiveResult alltoall = collective.getResults(1);
        assertEquals(CollectiveResult.Outcome.OK, alltoall.getOutcome());
        assertEquals(3, alltoall.getRowsCount());
        assertEquals(TransportProof.Verdict.PROVEN, collective.getTransport().getVerdict());
        assertEquals(List.of("all_reduce", "all_to_all"),
                report.getMeasurements().getSeriesList().stream().map(Sweep::getOp).toList());
        assertTrue(report.getMeasurements().getSeriesList().stream().allMatch(
                s -> s.getKind() == Sweep.Kind.INTRA_NODE && s.getNodesList().equals(List.of(node))));
        // judged by the scorer as preflight run's intra-node phase is: here no size reaches the statistic's 256 MiB
        CheckResult intraNode = report.getNodes(0).getChecksList().stream()
                .filter(c -> c.getId().equals("nccl.intra_node")).findFirst().orElseThrow();
        assertEquals(CheckResult.Status.SKIP, intraNode.getStatus());
        assertTrue(intraNode.getSummary().contains("256 MiB"), intraNode.getSummary());

        Path out = dir.resolve("out");
        List<ReportArtifact> logs = report.getArtifactsList().stream()
                .filter(a -> a.getKind() == ReportArtifact.Kind.NCCL_DEBUG_LOG).toList();
        assertEquals(2, logs.size(), report.getArtifactsList().toString());
        assertTrue(Files.readString(out.resolve(logs.get(1).getPath())).contains("NCCL INFO"));
        String commands = Files.readString(out.resolve("artifacts").resolve("nccl-tests-commands.sh"));
        assertTrue(commands.contains("mpirun -np 2 all_reduce_perf -b 1024 -e 4096 -f 2 -g 1 -d bfloat16 -n 3 -w 1 -c 1\n")
                && commands.contains("mpirun -np 2 alltoall_perf -b 1024 -e 4096 -f 2 -g 1 -d bfloat16 -n 3 -w 1 -c 1\n"),
                commands);
    }

    @Test
    void theDefaultSweepReachesOneGib() {
        Result help = bench("--help");
        assertEquals(0, help.exit(), help.err());
        assertTrue(help.out().contains("(default: 1G,"), help.out());
    }

    @Test
    void theHtmlReportChartsTheSweeps() throws Exception {
        Result result = bench("--max-bytes", "4K", "--iters", "2", "--format", "json,html");
        assertEquals(0, result.exit(), result.err() + result.out());
        String html = Files.readString(dir.resolve("out").resolve("preflight-report.html"));
        assertFalse(html.contains("No collective was benchmarked"), html);
        assertTrue(html.contains("bus bandwidth of all_reduce"), html);
    }

    @Test
    void perIterationResultsAreAlsoWrittenAsNcclTestsJson() throws Exception {
        Path file = dir.resolve("nccl-tests").resolve("all_reduce.json");
        Result result = bench("--op", "all_reduce", "--min-bytes", "1K", "--max-bytes", "4K", "--iters", "6",
                "--per-iteration", "--timeout", "60s", "--nccl-tests-json", file.toString());
        assertEquals(0, result.exit(), result.err() + result.out());
        assertTrue(result.err().contains("preflight: nccl-tests JSON written to " + file), result.err());
        JsonObject json = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        assertEquals(3, json.get("version").getAsInt());
        assertEquals(6, json.getAsJsonObject("config").get("iterations").getAsInt());
        assertEquals(2, json.getAsJsonObject("config").getAsJsonArray("devices").size());
        JsonArray results = json.getAsJsonArray("results");
        assertEquals(3, results.size());
        for (int i = 0; i < results.size(); i++) {
            JsonObject perIter = results.get(i).getAsJsonObject().getAsJsonObject("out_of_place_per_iter");
            JsonArray ranks = perIter.getAsJsonArray("per_process_max_times_us");
            assertEquals(2, ranks.size());
            for (int iter = 0; iter < 6; iter++) {
                double slowest = Math.max(ranks.get(0).getAsJsonArray().get(iter).getAsDouble(),
                        ranks.get(1).getAsJsonArray().get(iter).getAsDouble());
                assertEquals(slowest, perIter.getAsJsonArray("times_us").get(iter).getAsDouble());
            }
        }

        Result directory = bench("--nccl-tests-json", dir.toString());
        assertEquals(ExitCodes.USAGE, directory.exit());
        assertTrue(directory.err().contains("--nccl-tests-json " + dir + ": is a directory, expected a file name"),
                directory.err());
    }

    @Test
    void badFlagsAreUsageErrorsNamingTheValue() {
        Result op = bench("--op", "broadcast");
        assertEquals(ExitCodes.USAGE, op.exit());
        assertTrue(op.err().contains("'broadcast' is not an op: all_reduce, all_gather, reduce_scatter, alltoall, sendrecv"),
                op.err());
        Result size = bench("--max-bytes", "12Q");
        assertEquals(ExitCodes.USAGE, size.exit());
        assertTrue(size.err().contains("'12Q' is not a size (e.g. 8, 64K, 128M, 8G)"), size.err());
        Result both = bench("--graph", "4", "--per-iteration");
        assertEquals(ExitCodes.USAGE, both.exit());
        assertTrue(both.err().contains("--per-iteration cannot be combined with --graph"), both.err());
        Result peers = bench("--peers", "0:1");
        assertEquals(ExitCodes.USAGE, peers.exit());
        assertTrue(peers.err().contains("--peers applies to --op sendrecv only"), peers.err());
    }

    @Test
    void requestsTheAgentRefusesAreUsageErrorsToo() {
        Result setting = bench("--nccl-setting", "NCCL_NET_PLUGIN=/tmp/x.so", "--max-bytes", "1K");
        assertEquals(ExitCodes.USAGE, setting.exit(), setting.err());
        assertTrue(setting.err().contains("nccl_settings: [NCCL_NET_PLUGIN]: refused, it loads a shared library"),
                setting.err());
        Result gpu = bench("--gpus", "5", "--max-bytes", "1K");
        assertEquals(ExitCodes.USAGE, gpu.exit(), gpu.err());
        assertTrue(gpu.err().contains("gpus: GPU 5 does not exist: the CUDA runtime sees 2"), gpu.err());
    }

    @Test
    void aMissingLibraryIsNamed() {
        Result result = benchWith("/nonexistent/libnccl.so.2");
        assertEquals(ExitCodes.USAGE, result.exit());
        assertTrue(result.err().contains("--nccl-lib /nonexistent/libnccl.so.2: no such file"), result.err());
    }

    @Test
    void aTimeoutTooShortToStartTheWorkersIsAnErrorSayingSo() throws Exception {
        // --timeout bounds the whole bench: starting two worker JVMs leaves less than the 1 s a collective needs
        Result result = bench("--max-bytes", "1K", "--timeout", "1s");
        assertEquals(ExitCodes.INCOMPLETE, result.exit(), result.err() + result.out());
        PreflightReport report = JsonReport.read(dir.resolve("out").resolve(JsonReport.FILE_NAME));
        CheckResult bench = report.getNodes(0).getChecks(0);
        assertEquals("nccl.bench", bench.getId());
        assertEquals(CheckResult.Status.ERROR, bench.getStatus());
        assertTrue(bench.getSummary().matches("the bench could not run: (starting the bench workers took \\d+\\.\\d s of "
                + "--timeout 1s, less than 1 s was left for the collectives|the bench workers did not start within "
                + "--timeout 1s)"), bench.getSummary());
    }

    @Test
    void aLibraryThatCannotBeUsedMakesTheBenchIncomplete() throws Exception {
        Result result = benchWith(fake("libfakecudart.so"), "--max-bytes", "1K");
        assertEquals(ExitCodes.INCOMPLETE, result.exit(), result.err() + result.out());
        PreflightReport report = JsonReport.read(dir.resolve("out").resolve(JsonReport.FILE_NAME));
        assertEquals("nccl.bench", report.getNodes(0).getChecks(0).getId());
        assertTrue(report.getNodes(0).getChecks(0).getSummary().contains("has no symbol ncclGetVersion"),
                report.getNodes(0).getChecks(0).getSummary());
    }

    @Test
    void theReportNamesTheNcclItBenchedAndWarnsWhenTheEngineRunsAnother() throws Exception {
        Result same = bench("--op", "all_reduce", "--max-bytes", "1K", "--iters", "2", "--expect-nccl", "2.27.3");
        assertEquals(0, same.exit(), same.err() + same.out());
        assertTrue(same.err().contains("NCCL 2.27.3 from " + fake("libfakenccl.so")), same.err());
        assertTrue(same.out().contains("PASS  nccl.library"), same.out());
        PreflightReport report = JsonReport.read(dir.resolve("out").resolve(JsonReport.FILE_NAME));
        assertEquals(fake("libfakenccl.so"), report.getCollectives(0).getWorkers(0).getNcclLibrary());
        assertEquals("--nccl-lib", report.getCollectives(0).getWorkers(0).getNcclLibraryOrigin());
        assertEquals(fake("libfakecudart.so"), report.getCollectives(0).getWorkers(0).getCudartLibrary());

        Result other = bench("--op", "all_reduce", "--max-bytes", "1K", "--iters", "2", "--expect-nccl", "2.28.9");
        assertEquals(0, other.exit(), other.err() + other.out());
        assertTrue(other.out().contains("WARN  nccl.library"), other.out());
        assertTrue(other.out().contains("benched NCCL 2.27.3 " + fake("libfakenccl.so")
                + ", not NCCL 2.28.9 that the serving engine runs"), other.out());
        assertEquals(ExitCodes.WARNINGS, bench("--op", "all_reduce", "--max-bytes", "1K", "--iters", "2",
                "--expect-nccl", "2.28.9", "--fail-on-warn").exit());
    }

    @Test
    void anExpectedNcclThatIsNotAVersionIsAUsageError() {
        Result result = bench("--expect-nccl", "2.27");
        assertEquals(ExitCodes.USAGE, result.exit());
        assertTrue(result.err().contains("--expect-nccl 2.27: expected an NCCL version as major.minor.patch, e.g. 2.27.3"),
                result.err());
    }
}
