package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentAndRunFlagsTest {
    @TempDir
    Path dir;
    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        return Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true), args);
    }

    @Test
    void anAgentOnTheNetworkWithoutTlsRefusesToStart() {
        assertEquals(ExitCodes.USAGE, execute("agent", "--listen", "0.0.0.0:0"));
        assertTrue(err.toString().contains("refusing to serve 0.0.0.0:0 without TLS (--tls-cert, --tls-key)"), err.toString());
        assertEquals(ExitCodes.USAGE, execute("agent", "--listen", "0.0.0.0:0", "--tls-client-ca", "/nonexistent"));
        assertTrue(err.toString().contains("--tls-client-ca needs TLS"), err.toString());
        assertEquals(ExitCodes.USAGE, execute("agent", "--token-file", dir.resolve("missing").toString()));
        assertTrue(err.toString().contains("cannot read " + dir.resolve("missing") + ": no such file"), err.toString());
    }

    @Test
    void insecureStartsButSaysWhatIsMissing() {
        AgentCommand agent = new CommandLine(new Main()).parseArgs("agent", "--listen", "0.0.0.0:7744", "--insecure")
                .subcommand().commandSpec().commandLine().getCommand();
        ScheduledExecutorService reloader = Executors.newSingleThreadScheduledExecutor();
        try {
            Optional<String> warning = agent.security.load(agent.listen, reloader).warning();
            assertEquals(Optional.of("WARNING: --insecure: serving 0.0.0.0:7744 without TLS (--tls-cert, --tls-key);"
                    + " anyone who reaches this port can use the agent"), warning);
            AgentCommand loopback = new CommandLine(new Main()).parseArgs("agent").subcommand().commandSpec()
                    .commandLine().getCommand();
            assertEquals(Optional.empty(), loopback.security.load(loopback.listen, reloader).warning());
        } finally {
            reloader.shutdownNow();
        }
    }

    @Test
    void theWorkloadEnvIsValidatedAndRecordedInTheReport() throws Exception {
        Path env = Files.writeString(dir.resolve("workload.env"), "NCCL_IB_HCA==mlx5_0:1,mlx5_3:1\nNCCL_IB_GID_INDEX=3\n");
        execute("run", "--workload-env", env.toString(), "--checks", "host.shm", "--quiet", "--out", dir.toString());
        PreflightReport report = JsonReport.read(dir.resolve(JsonReport.FILE_NAME));
        assertEquals(Map.of("NCCL_IB_HCA", "=mlx5_0:1,mlx5_3:1", "NCCL_IB_GID_INDEX", "3"), report.getWorkloadEnvMap());

        Path plugin = Files.writeString(dir.resolve("bad.env"), "NCCL_NET_PLUGIN=/tmp/libx.so\n");
        assertEquals(ExitCodes.USAGE, execute("run", "--workload-env", plugin.toString()));
        assertTrue(err.toString().contains("--workload-env " + plugin + ":1: NCCL_NET_PLUGIN: refused, it loads a shared"
                + " library"), err.toString());
    }

    @Test
    void discoveryFlagsThatCannotWorkAreUsageErrors() {
        assertEquals(ExitCodes.USAGE, execute("run", "--expect-nodes", "2"));
        assertTrue(err.toString().contains("--expect-nodes and --k8s-nodes judge remote agents"), err.toString());
        assertEquals(ExitCodes.USAGE, execute("run", "--slurm-nodelist", "gpu-[01-"));
        assertTrue(err.toString().contains("Slurm nodelist 'gpu-[01-': '[' without ']'"), err.toString());
        assertEquals(ExitCodes.USAGE, execute("run", "--agents", "127.0.0.1:1", "--expect-nodes", "0"));
        assertTrue(err.toString().contains("--expect-nodes '0' is out of range (expected 1 to 65536)"), err.toString());
    }
}
