package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** `preflight agent` and `preflight run`'s embedded agent take the same agent flags and judge them alike. */
class AgentOptionsTest {
    @TempDir
    Path dir;

    static Stream<Arguments> badValues() {
        return Stream.of(
                arguments(List.of("--sysfs", "/nonexistent-sysfs"), "--sysfs /nonexistent-sysfs: not a directory"),
                arguments(List.of("--gpu-max-temp", "500"), "GPU option: maximum GPU temperature must be 1..150 °C, got 500"),
                arguments(List.of("--expect-gpus", "2000"), "GPU option: expected GPU count must be 0..1024, got 2000"),
                arguments(List.of("--threshold", "host.nofile.warn_below=lots"),
                        "--threshold host.nofile.warn_below=lots: 'lots' is not a number"),
                arguments(List.of("--model-store", "models"), "--model-store: model store must be an absolute path, got models"),
                arguments(List.of("--nccl-lib", "/nonexistent/libnccl.so.2"), "--nccl-lib /nonexistent/libnccl.so.2: no such file"));
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void theAgentAndTheEmbeddedAgentRefuseABadValueWithTheSameLine(List<String> flags, String expected) {
        List<String> agent = new ArrayList<>(List.of("agent"));
        agent.addAll(flags);
        List<String> run = new ArrayList<>(List.of("run", "--quiet", "--out", dir.toString()));
        run.addAll(flags);
        for (List<String> args : List.of(agent, run)) {
            CliResult result = CliResult.run(args);
            assertEquals(ExitCodes.USAGE, result.exitCode(), args + ": " + result.err());
            assertTrue(result.err().contains(expected), args + ": " + result.err());
            assertFalse(result.err().contains("serving on"), args + ": " + result.err());
        }
    }

    static Stream<Arguments> embeddedOnly() {
        String roots = "--procfs/--sysfs/--devfs/--rootfs/--node-name/--host-views/--model-store/--storage-read-bytes/--threshold "
                + "apply to the embedded agent only; give them to each remote agent (preflight agent ...)";
        return Stream.of(
                arguments(List.of("--rootfs", "/"), roots),
                arguments(List.of("--node-name", "gpu-01"), roots),
                arguments(List.of("--storage-read-bytes", "0"), roots),
                arguments(List.of("--bench-dir", "/tmp"), "--cudart-lib/--nccl-lib/--bench-lock-dir/--bench-dir apply to the "
                        + "embedded agent only; give them to each remote agent (preflight agent ...)"),
                arguments(List.of("--allow-mig"), "GPU options (--expect-gpus, --allow-mig, --nvidia-smi, ...) apply to the "
                        + "embedded agent only; give them to each remote agent (preflight agent ...)"));
    }

    @ParameterizedTest
    @MethodSource("embeddedOnly")
    void aRunWithRemoteAgentsRefusesTheAgentFlags(List<String> flags, String expected) {
        List<String> args = new ArrayList<>(List.of("run", "--agents", "127.0.0.1:1", "--out", dir.toString()));
        args.addAll(flags);
        CliResult result = CliResult.run(args);
        assertEquals(ExitCodes.USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains(expected), result.err());
    }
}
