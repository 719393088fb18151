package dev.preflight.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.ReportArtifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files beside a report: every NCCL log and topology dump it keeps, listed, written again on a re-render. */
class ArtifactsTest {
    @TempDir
    Path dir;

    private static PreflightReport report() {
        return PreflightReport.newBuilder().setSchemaVersion(JsonReport.SCHEMA_VERSION)
                .addCollectives(CollectiveResults.newBuilder().setPhase("intra_node").setCommunicator("intra-node gpu-01")
                        .setAttempt(1)
                        .addWorkers(BenchWorker.newBuilder().setNode("gpu-01").setRank(0).setGpu(0)
                                .setNcclLog("gpu-01:4242:4242 [0] NCCL INFO Using network IB\n")
                                .setNcclTopology("<system version=\"1\">\n</system>\n"))
                        .addWorkers(BenchWorker.newBuilder().setNode("gpu-01").setRank(1).setGpu(1)))
                .addCollectives(CollectiveResults.newBuilder().setPhase("rails").setCommunicator("rail 0 gpu-01~gpu-02")
                        .setAttempt(2)
                        .addWorkers(BenchWorker.newBuilder().setNode("gpu-02").setRank(1).setGpu(0)
                                .setNcclLog("gpu-02:77:77 [0] NCCL INFO Channel 00/0 : 1[0] -> 0[0] [send] via NET/IB/0\n")))
                .build();
    }

    @Test
    void everyKeptLogAndTopologyIsAFileListedInTheReport() throws Exception {
        List<Path> written = ReportWriter.write(report(), dir, Set.of(ReportFormat.JSON));
        PreflightReport saved = JsonReport.read(written.get(0));
        List<String> paths = saved.getArtifactsList().stream().map(ReportArtifact::getPath).toList();
        assertEquals(List.of("artifacts/nccl-intra_node-intra-node-gpu-01-gpu-01-rank0.log",
                "artifacts/nccl-topo-intra_node-intra-node-gpu-01-gpu-01-rank0.xml",
                "artifacts/nccl-rails-rail-0-gpu-01-gpu-02-attempt2-gpu-02-rank1.log"), paths);
        assertEquals("gpu-01:4242:4242 [0] NCCL INFO Using network IB\n", Files.readString(dir.resolve(paths.get(0))));
        assertEquals("<system version=\"1\">\n</system>\n", Files.readString(dir.resolve(paths.get(1))));
        assertEquals(ReportArtifact.Kind.NCCL_TOPOLOGY, saved.getArtifacts(1).getKind());
        assertEquals("gpu-02", saved.getArtifacts(2).getNode());
        assertTrue(saved.getArtifacts(2).getDescription().startsWith("NCCL_DEBUG=INFO log of rails rail 0 gpu-01~gpu-02"),
                saved.getArtifacts(2).getDescription());

        // re-rendering the saved report writes the same files and lists each once
        PreflightReport again = JsonReport.read(ReportWriter.write(saved, dir, Set.of(ReportFormat.JSON)).get(0));
        assertEquals(saved.getArtifactsList(), again.getArtifactsList());
    }

    @Test
    void namesFromAgentsCannotLeaveTheArtifactsFolder() throws Exception {
        PreflightReport report = PreflightReport.newBuilder().setSchemaVersion(JsonReport.SCHEMA_VERSION)
                .addCollectives(CollectiveResults.newBuilder().setPhase("pairwise").setCommunicator("../../etc/passwd")
                        .addWorkers(BenchWorker.newBuilder().setNode("../x").setNcclLog("log")))
                .build();
        PreflightReport saved = JsonReport.read(ReportWriter.write(report, dir, Set.of(ReportFormat.JSON)).get(0));
        assertEquals("artifacts/nccl-pairwise-..-..-etc-passwd-..-x-rank0.log", saved.getArtifacts(0).getPath());
        assertTrue(Files.isRegularFile(dir.resolve(saved.getArtifacts(0).getPath())));
    }
}
