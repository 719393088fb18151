package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.JsonReport;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code preflight run} stopped by SIGTERM while it waits on an agent: it writes the partial report
 * (the node not run, every phase marked not run) and exits 4, instead of the JVM's silent 143.
 */
class SignalIT {
    private static final Path JAR = Paths.get("target", "preflight.jar").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void sigtermWritesThePartialReportAndExitsIncomplete() throws Exception {
        // accepts the TCP connection and never speaks HTTP/2: the run waits on it for minutes
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            silent.setSoTimeout(60_000);
            Path out = dir.resolve("out");
            Process run = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar", JAR.toString(), "run", "--agents", "127.0.0.1:" + silent.getLocalPort(),
                    "--connect-timeout", "5m", "--timeout", "10m", "--out", out.toString(), "--format", "json")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            try (Socket connected = silent.accept()) {
                long signalled = System.nanoTime();
                run.destroy();
                assertTrue(run.waitFor(60, TimeUnit.SECONDS), "run did not end after SIGTERM: " + Files.readString(dir.resolve("log")));
                String log = Files.readString(dir.resolve("log"));
                System.out.printf("SIGTERM to exit: %d ms%n", (System.nanoTime() - signalled) / 1_000_000);
                assertEquals(ExitCodes.INCOMPLETE, run.exitValue(), log);
                assertTrue(log.contains("preflight: preflight was stopped by SIGTERM: writing the partial report"), log);
                PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
                assertEquals(Verdict.INCOMPLETE, report.getVerdict());
                assertEquals(NodeReport.Reachability.UNREACHABLE, report.getNodes(0).getReachability());
                assertEquals("not run: preflight was stopped by SIGTERM before it answered", report.getNodes(0).getError());
                assertTrue(report.getPhasesList().stream().allMatch(p -> p.getOutcome() == RunPhase.Outcome.NOT_RUN),
                        report.getPhasesList().toString());
            } finally {
                run.destroyForcibly();
            }
        }
    }
}
