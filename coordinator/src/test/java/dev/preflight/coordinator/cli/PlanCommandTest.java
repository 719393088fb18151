package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.preflight.coordinator.SampleReports;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.ModelPlan;
import dev.preflight.reports.JsonReport;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PlanCommandTest {
    /**
     * The article's table: each model's weights at FP16 and FP8 and whether one 8x H100 80 GB node
     * (640 GB) holds them once 10% of every GPU is kept for the KV cache and activations.
     */
    @ParameterizedTest(name = "{0} {1}: {2} bytes, one node: {3}, nodes {4}")
    @CsvSource({
        "llama-3.1-70b,   fp16, 140000000000,  true,  1",
        "llama-3.1-70b,   fp8,  70000000000,   true,  1",
        "mixtral-8x22b,   fp16, 282000000000,  true,  1",
        "mixtral-8x22b,   fp8,  141000000000,  true,  1",
        "llama-3.1-405b,  fp16, 810000000000,  false, 2",
        "llama-3.1-405b,  fp8,  405000000000,  true,  1",
        "deepseek-r1,     fp16, 1342000000000, false, 3",
        "deepseek-r1,     fp8,  671000000000,  false, 2",
        "nemotron-4-340b, fp16, 680000000000,  false, 2",
        "nemotron-4-340b, fp8,  340000000000,  true,  1",
    })
    void reproducesTheArticlesTableOnOneEightByH100Node(String model, String precision, long weightBytes,
            boolean fitsSingleNode, int nodesNeeded) throws Exception {
        Cli cli = Cli.run("plan", "--model", model, "--precision", precision, "--gpus-per-node", "8",
                "--gpu-memory", "80GB", "--output", "json");
        assertEquals(0, cli.code(), cli.err());
        ModelPlan.Builder plan = ModelPlan.newBuilder();
        JsonFormat.parser().merge(cli.out(), plan);
        assertEquals(weightBytes, plan.getWeightBytes());
        assertEquals(fitsSingleNode, plan.getFitsSingleNode());
        assertEquals(nodesNeeded, plan.getNodesNeeded());
        assertEquals(8, plan.getTensorParallel());
        assertEquals(nodesNeeded, plan.getPipelineParallel());
        assertTrue(plan.getWeightBytesPerGpu() <= 72_000_000_000L, "weights per GPU stay within 90% of 80 GB");
        for (String field : new String[] {"\"weightBytes\"", "\"fitsSingleNode\"", "\"nodesNeeded\"", "\"tensorParallel\"",
            "\"pipelineParallel\""}) {
            assertTrue(cli.out().contains(field), field + " in " + cli.out());
        }
    }

    @Test
    void deepSeekAtFp8NeedsTwoNodesWithTpEightAndPpTwoAndTheLaunchSettingsSaySo() {
        Cli cli = Cli.run("plan", "--model", "deepseek-r1", "--precision", "fp8", "--gpus-per-node", "8",
                "--gpu-memory", "80GB", "--nodes", "2");
        assertEquals(0, cli.code(), cli.err());
        assertTrue(cli.out().contains("fits one node   no"), cli.out());
        assertTrue(cli.out().contains("TP=8 x PP=2 (16 GPUs)"), cli.out());
        assertTrue(cli.out().contains("NIM_TENSOR_PARALLEL_SIZE=8"), cli.out());
        assertTrue(cli.out().contains("NIM_PIPELINE_PARALLEL_SIZE=2"), cli.out());
        assertTrue(cli.out().contains("NIM_NUM_NODES=2"), cli.out());
        assertTrue(cli.out().contains("production viable or better required"), cli.out());
        assertTrue(cli.out().contains("all 671B parameters stay resident (37B active per token)"), cli.out());
    }

    @Test
    void aClusterTooSmallExitsOne() {
        Cli cli = Cli.run("plan", "--params", "671e9", "--precision", "fp16", "--gpus-per-node", "8",
                "--gpu-memory", "80GB", "--nodes", "2");
        assertEquals(ExitCodes.NOT_VIABLE, cli.code());
        assertTrue(cli.out().contains("needs 3 nodes, the cluster has 2"), cli.out());
    }

    @Test
    void theHeadroomComesFromThePolicy(@TempDir Path dir) throws Exception {
        Path policy = Files.writeString(dir.resolve("policy.yaml"), "plan:\n  headroom: 0%\n");
        // 671 GB of FP8 weights against 640 GB: no headroom still does not fit one node
        Cli cli = Cli.run("plan", "--model", "deepseek-r1", "--precision", "fp8", "--gpus-per-node", "8",
                "--gpu-memory", "80GB", "--policy", policy.toString(), "-o", "json");
        assertTrue(cli.out().contains("\"nodesNeeded\": 2"), cli.out());
        Path generous = Files.writeString(dir.resolve("generous.yaml"), "plan:\n  headroom: 0%\n");
        Cli h200 = Cli.run("plan", "--model", "deepseek-r1", "--precision", "fp8", "--gpus-per-node", "8",
                "--gpu-memory", "141GB", "--policy", generous.toString(), "-o", "json");
        assertTrue(h200.out().contains("\"fitsSingleNode\": true"), h200.out());
    }

    @Test
    void theClusterComesFromAReport(@TempDir Path dir) throws Exception {
        Path file = JsonReport.write(new Scorer(Policy.defaults()).score(SampleReports.cluster()), dir);
        Cli cli = Cli.run("plan", "--model", "llama-3.1-405b", "--precision", "fp8", "--from", file.toString(), "-o", "json");
        assertEquals(0, cli.code(), cli.err());
        ModelPlan.Builder plan = ModelPlan.newBuilder();
        JsonFormat.parser().merge(cli.out(), plan);
        // 8x 40 GiB A100 per node: 405 GB needs two nodes of the six
        assertEquals(2, plan.getNodesNeeded());
        assertEquals(6, plan.getNodesAvailable());
        assertTrue(plan.getFitsCluster());
        assertEquals(Tier.SMALL_MODELS_ONLY, plan.getMeasuredTier());
        // gpu-d reads at 1.6 GB/s: each node loads its 202.5 GB stage at the slowest node's pace
        assertEquals(202.5e9 / 1.6e9, plan.getLoadSeconds(), 1e-6);
        assertTrue(plan.getLaunchList().stream().anyMatch(e -> e.getName().equals("NCCL_IB_HCA") && e.getValue().equals("mlx5")));
        assertTrue(plan.getNotesList().stream().anyMatch(n -> n.contains("below the production viable")), plan.getNotesList().toString());
    }

    @Test
    void listsTheCatalog() {
        Cli cli = Cli.run("plan", "--list-models");
        assertEquals(0, cli.code());
        for (String model : new String[] {"llama-3.1-70b", "mixtral-8x22b", "llama-3.1-405b", "deepseek-r1", "nemotron-4-340b"}) {
            assertTrue(cli.out().contains(model), cli.out());
        }
        assertTrue(cli.out().contains("141B MoE (39B active)"), cli.out());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--model|gpt-5|--precision|fp8|--gpus-per-node|8|--gpu-memory|80GB|--model 'gpt-5' is not in the catalog",
        "--model|deepseek-r1|--precision|fp6|--gpus-per-node|8|--gpu-memory|80GB|'fp6' is not a precision",
        "--model|deepseek-r1|--precision|fp8|--gpus-per-node|8|--gpu-memory|80|'80' is not a size with a unit",
        "--params|lots|--precision|fp8|--gpus-per-node|8|--gpu-memory|80GB|parameter count 'lots' is not a number",
        "--model|deepseek-r1|--precision|fp8|--gpus-per-node|0|--gpu-memory|80GB|--gpus-per-node '0' is out of range (expected 1 to 1024)",
    })
    void badFlagsExitTwoNamingTheValue(String a, String b, String c, String d, String e, String f, String g, String h,
            String message) {
        Cli cli = Cli.run("plan", a, b, c, d, e, f, g, h);
        assertEquals(ExitCodes.USAGE, cli.code());
        assertTrue(cli.errorLine().contains(message), cli.err());
    }

    @Test
    void aMalformedReportExitsTwoNamingTheFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("report.json"), "{\"schemaVersion\": 1, \"verdict\": \"GREAT\"}");
        Cli cli = Cli.run("plan", "--model", "deepseek-r1", "--precision", "fp8", "--from", file.toString());
        assertEquals(ExitCodes.USAGE, cli.code());
        assertTrue(cli.errorLine().contains(file.toString()) && cli.errorLine().contains("GREAT"), cli.err());
    }
}
