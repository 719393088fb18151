package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** run --model/--plan: every flag combination that cannot be measured is a one-line usage error. */
class RunPlanFlagsTest {
    @TempDir
    Path dir;
    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        return Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
    }

    private void refused(String message, String... args) {
        assertEquals(ExitCodes.USAGE, execute(args), err.toString());
        assertTrue(err.toString().contains(message), err.toString());
    }

    @Test
    void aModelNeedsItsPrecisionAndACatalogName() {
        refused("--model needs --precision", "run", "--model", "deepseek-r1");
        refused("--model 'gpt-5' is not in the catalog", "run", "--model", "gpt-5", "--precision", "fp8");
        refused("--precision/--context/--concurrency/--kv-precision need --model", "run", "--precision", "fp8");
        refused("--concurrency 0: expected 1-65536 sequences", "run", "--model", "deepseek-r1", "--precision", "fp8",
                "--concurrency", "0");
    }

    @Test
    void thePlanFixesTheLayout() throws Exception {
        refused("give one of --model or --plan, not both", "run", "--model", "deepseek-r1", "--precision", "fp8",
                "--plan", dir.resolve("plan.json").toString());
        refused("--tp/--pp come from the plan", "run", "--model", "deepseek-r1", "--precision", "fp8", "--tp", "8");
        refused("add inference", "run", "--model", "deepseek-r1", "--precision", "fp8", "--phases", "intra_node");
        refused("--plan " + dir.resolve("none.json") + ": no such file", "run", "--plan", dir.resolve("none.json").toString());
    }

    @Test
    void aMalformedOrIncoherentPlanFileIsNamed() throws Exception {
        Path garbage = Files.writeString(dir.resolve("garbage.json"), "{\"tensorParallel\": \"eight\"}");
        refused("--plan " + garbage + ": not a plan from preflight plan -o json", "run", "--plan", garbage.toString());
        Path zero = Files.writeString(dir.resolve("zero.json"),
                "{\"model\": \"deepseek-r1\", \"tensorParallel\": 0, \"pipelineParallel\": 2, \"nodesNeeded\": 2}");
        refused("--plan " + zero + ": tensorParallel 0: expected 1-65536", "run", "--plan", zero.toString());
        Path noLoad = Files.writeString(dir.resolve("noload.json"), "{\"model\": \"deepseek-r1\", \"tensorParallel\": 8, "
                + "\"pipelineParallel\": 2, \"nodesNeeded\": 2, \"architecture\": {\"layers\": 61, \"hiddenSize\": 7168}}");
        refused("concurrency 0: expected 1-65536", "run", "--plan", noLoad.toString());
    }
}
