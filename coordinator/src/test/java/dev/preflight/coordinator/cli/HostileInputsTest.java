package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Bad and hostile inputs at the command line, each a case that once went wrong: the answer is a
 * usage error (exit 2) whose first line names the value and what was expected, never a stack
 * trace, a hang, a wrapped number or a silent default.
 */
class HostileInputsTest {
    @TempDir
    Path dir;

    @Test
    void aParameterCountPastAnyModelIsRefusedNotPlannedAsFitting() {
        Cli cli = Cli.run("plan", "--params", "5e18", "--precision", "fp16", "--gpus-per-node", "8",
                "--gpu-memory", "80GB", "--nodes", "2");
        assertEquals(ExitCodes.USAGE, cli.code(), cli.err());
        assertTrue(cli.errorLine().contains("parameter count '5e18' is out of range (expected 1 to 1e15)"), cli.errorLine());
        assertFalse(cli.out().contains("fits"), cli.out());
        // the largest count accepted is planned with exact byte counts: 2 PB of weights do not fit 2 nodes
        Cli largest = Cli.run("plan", "--params", "1e15", "--precision", "fp16", "--gpus-per-node", "8",
                "--gpu-memory", "80GB", "--nodes", "2");
        assertEquals(ExitCodes.NOT_VIABLE, largest.code(), largest.err());
        assertTrue(largest.out().contains("2000.0 TB"), largest.out());
        assertFalse(largest.out().matches("(?s).*-[0-9].*"), "no negative byte count: " + largest.out());
    }

    @Test
    void gpusAndNodesOutsideTheirRangeAreNamed() {
        Cli cli = Cli.run("plan", "--params", "70B", "--precision", "fp16", "--gpus-per-node", "0", "--gpu-memory", "80GB");
        assertEquals(ExitCodes.USAGE, cli.code());
        assertEquals("preflight: --gpus-per-node '0' is out of range (expected 1 to 1024)", cli.errorLine());
        Cli memory = Cli.run("plan", "--params", "70B", "--precision", "fp16", "--gpus-per-node", "8", "--gpu-memory", "2EB");
        assertEquals(ExitCodes.USAGE, memory.code());
    }

    @Test
    void aPolicyWithNanOrInfinityIsRefusedBeforeAnythingRuns() throws IOException {
        for (String value : new String[] {".nan", ".inf", "-.inf"}) {
            Path policy = Files.writeString(dir.resolve("policy" + value.replace(".", "") + ".yaml"),
                    "outliers:\n  madZ: " + value + "\n");
            Cli cli = Cli.run("plan", "--params", "70B", "--precision", "fp16", "--gpus-per-node", "8", "--gpu-memory", "80GB",
                    "--policy", policy.toString());
            assertEquals(ExitCodes.USAGE, cli.code(), cli.err());
            assertTrue(cli.errorLine().matches("preflight: --policy .*: outliers.madZ '-?(NaN|Infinity)' is not a finite number "
                    + "\\(expected 1 to 100\\)"), cli.errorLine());
        }
    }

    @Test
    void aPolicyCountThatWouldWrapIsRefused() throws IOException {
        Path policy = Files.writeString(dir.resolve("policy.yaml"),
                "intraNode:\n  - part: H100\n    gpus: 99999999999999\n    passFrom: 370GB/s\n    failBelow: 300GB/s\n");
        Cli cli = Cli.run("policy", "show", "--policy", policy.toString());
        assertEquals(ExitCodes.USAGE, cli.code(), cli.err());
        assertTrue(cli.errorLine().endsWith("intraNode[0].gpus '99999999999999' is out of range (expected 1 to 1024)"),
                cli.errorLine());
    }

    @Test
    void aFifoOrADeviceGivenAsAFileIsRefusedAtOnce() throws Exception {
        Path fifo = dir.resolve("policy.fifo");
        Process mkfifo;
        try {
            mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        } catch (IOException e) {
            assumeTrue(false, "mkfifo is not installed");
            return;
        }
        assumeTrue(mkfifo.waitFor() == 0, "mkfifo failed");
        Cli policy = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run("policy", "show", "--policy", fifo.toString()));
        assertEquals(ExitCodes.USAGE, policy.code());
        assertEquals("preflight: --policy cannot read " + fifo + ": is a FIFO, socket or device, not a regular file",
                policy.errorLine());
        Cli hostfile = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> Cli.run("run", "--hostfile", fifo.toString(), "--out", dir.resolve("out").toString()));
        assertEquals(ExitCodes.USAGE, hostfile.code(), hostfile.err());
        assertTrue(hostfile.errorLine().contains(fifo + ": is a FIFO, socket or device, not a regular file"), hostfile.errorLine());
        assumeTrue(Files.exists(Paths.get("/dev/zero")));
        Cli zero = Cli.run("policy", "show", "--policy", "/dev/zero");
        assertEquals(ExitCodes.USAGE, zero.code());
        assertEquals("preflight: --policy cannot read /dev/zero: is a FIFO, socket or device, not a regular file",
                zero.errorLine());
    }

    @Test
    void aDirectoryOrNonUtf8FileSaysWhatItIs() throws IOException {
        Cli directory = Cli.run("report", "--from", dir.toString());
        assertEquals(ExitCodes.USAGE, directory.code());
        assertEquals("preflight: --from " + dir + ": is a directory, not a regular file", directory.errorLine());
        Path latin1 = Files.write(dir.resolve("policy.yaml"), new byte[] {'d', 'i', 'f', 'f', ':', ' ', (byte) 0xe9});
        Cli policy = Cli.run("policy", "show", "--policy", latin1.toString());
        assertEquals(ExitCodes.USAGE, policy.code());
        assertEquals("preflight: --policy cannot read " + latin1 + ": is not UTF-8 text (invalid byte at offset 6)",
                policy.errorLine());
    }

    @Test
    void reportNumbersAreCheckedOnTheWayIn() throws IOException {
        String[][] cases = {
            {"\"Infinity\"", "nodes[0].clockRttMillis 'Infinity' is not a finite number"},
            {"\"NaN\"", "nodes[0].clockRttMillis 'NaN' is not a finite number"},
            {"-1000", "nodes[0].clockRttMillis '-1000' is out of range (expected 0 to 1e18)"},
        };
        for (String[] c : cases) {
            Path report = Files.writeString(dir.resolve("report.json"), "{\"schemaVersion\": 1, \"nodes\": [{\"address\": \"a:1\","
                    + " \"clockRttMillis\": " + c[0] + "}]}");
            Cli cli = Cli.run("report", "--from", report.toString(), "--out", dir.resolve("out").toString());
            assertEquals(ExitCodes.USAGE, cli.code(), cli.err());
            assertTrue(cli.errorLine().contains(c[1]), cli.errorLine());
            assertFalse(Files.exists(dir.resolve("out").resolve("preflight-report.html")));
        }
        // a clock offset is signed by nature
        Path signed = Files.writeString(dir.resolve("signed.json"), "{\"schemaVersion\": 1, \"nodes\": [{\"address\": \"a:1\","
                + " \"clockOffsetMillis\": -3.5}]}");
        Cli cli = Cli.run("report", "--from", signed.toString(), "--out", dir.resolve("signed").toString(), "--format", "md");
        assertTrue(cli.code() != ExitCodes.USAGE, cli.err());
    }

    @Test
    void bandwidthsAndLatenciesThatAreNotFiniteOrNegativeAreRefusedBeforeTheyAreJudgedOrDrawn() throws IOException {
        String[][] cases = {
            {"{\"series\": [{\"op\": \"all_reduce\", \"points\": [{\"bytes\": \"1073741824\", "
                    + "\"busbwBytesPerSecond\": \"Infinity\"}]}]}",
                "measurements.series[0].points[0].busbwBytesPerSecond 'Infinity' is not a finite number"},
            {"{\"series\": [{\"op\": \"all_reduce\", \"points\": [{\"bytes\": \"1073741824\", "
                    + "\"busbwBytesPerSecond\": -1e12}]}]}",
                "measurements.series[0].points[0].busbwBytesPerSecond '-1e12' is out of range (expected 0 to 1e18)"},
            {"{\"latency\": [{\"op\": \"all_reduce\", \"p99Us\": \"NaN\"}]}",
                "measurements.latency[0].p99Us 'NaN' is not a finite number"},
        };
        for (String[] c : cases) {
            Path report = Files.writeString(dir.resolve("report.json"), "{\"schemaVersion\": 1, \"measurements\": "
                    + c[0] + "}");
            Cli cli = Cli.run("report", "--from", report.toString(), "--out", dir.resolve("out").toString(),
                    "--format", "html");
            assertEquals(ExitCodes.USAGE, cli.code(), cli.err());
            assertTrue(cli.errorLine().contains(c[1]), cli.errorLine());
            assertFalse(Files.exists(dir.resolve("out").resolve("preflight-report.html")));
        }
    }

    @Test
    void aValueThatBecameNanIsRefusedByDiffNotMissed() throws IOException {
        String series = "{\"schemaVersion\": 1, \"measurements\": {\"series\": [{\"op\": \"all_reduce\", "
                + "\"kind\": \"ALL_NODES\", \"nodes\": [\"a\", \"b\"], \"points\": [{\"bytes\": \"1073741824\", "
                + "\"busbwBytesPerSecond\": %s}]}]}}";
        Path before = Files.writeString(dir.resolve("before.json"), String.format(series, "4.2e11"));
        Path after = Files.writeString(dir.resolve("after.json"), String.format(series, "\"NaN\""));
        Cli cli = Cli.run("diff", "--baseline", before.toString(), after.toString());
        assertEquals(ExitCodes.USAGE, cli.code(), cli.out() + cli.err());
        assertTrue(cli.errorLine().contains("busbwBytesPerSecond 'NaN' is not a finite number"), cli.errorLine());
        assertFalse(cli.out().contains("diff: ok"), cli.out());
    }

    @Test
    void grpcsOwnLoggingIsSilentUnlessVerbose() {
        // gRPC logs an unresolvable agent name or an oversized message with its stack traces through this logger
        Cli.run("plan", "--list-models");
        assertEquals(Level.OFF, Logger.getLogger("io.grpc").getLevel());
        Cli.run("plan", "--list-models", "-v");
        assertNull(Logger.getLogger("io.grpc").getLevel(), "with -v gRPC logs as configured");
        Cli.run("plan", "--list-models");
        assertEquals(Level.OFF, Logger.getLogger("io.grpc").getLevel());
    }

    @Test
    void reportsWithNoNumberInCommonAreNotAPassingDiff() throws IOException {
        Path run = Files.writeString(dir.resolve("run.json"), "{\"schemaVersion\": 1, \"nodes\": [{\"address\": \"a:1\"}]}");
        Path bench = Files.writeString(dir.resolve("bench.json"), "{\"schemaVersion\": 1}");
        Cli cli = Cli.run("diff", "--baseline", bench.toString(), run.toString());
        assertEquals(ExitCodes.USAGE, cli.code(), cli.out() + cli.err());
        assertTrue(cli.errorLine().startsWith("preflight: no number appears in both " + bench + " and " + run), cli.errorLine());
        assertFalse(cli.out().contains("diff: ok"), cli.out());
    }

    @Test
    void deeplyNestedJsonIsRefusedInOneShortLine() throws IOException {
        Path nested = Files.writeString(dir.resolve("nested.json"), "[".repeat(20_000) + "]".repeat(20_000));
        Cli cli = Cli.run("report", "--from", nested.toString());
        assertEquals(ExitCodes.USAGE, cli.code());
        assertEquals(1, cli.err().lines().filter(line -> line.startsWith("preflight:")).count(), cli.err());
        assertTrue(cli.errorLine().length() < 700, cli.errorLine().length() + " chars");
    }

    @Test
    void aNegativeExpectedNodeCountIsACountNotAHostName() {
        Cli cli = Cli.run("run", "--agents", "127.0.0.1:9", "--expect-nodes", "-1", "--out", dir.resolve("out").toString());
        assertEquals(ExitCodes.USAGE, cli.code(), cli.err());
        assertTrue(cli.errorLine().contains("--expect-nodes '-1' is out of range (expected 1 to 65536)"), cli.errorLine());
    }

    @Test
    void anOutDirectoryThatCannotBeWrittenIsRefusedBeforeTheRun() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        Cli cli = Cli.run("run", "--out", file.toString(), "--procfs", dir.resolve("proc").toString());
        assertEquals(ExitCodes.USAGE, cli.code(), cli.err());
        assertTrue(cli.errorLine().startsWith("preflight: --out " + file + ": cannot write reports there ("), cli.errorLine());
        assertFalse(cli.err().contains("done ("), "no check may have run: " + cli.err());
    }

    @Test
    void verboseCountsAfterTheSubcommandToo() {
        CommandLine commandLine = new CommandLine(new Main());
        assertTrue(Main.verbose(commandLine.parseArgs("plan", "--list-models", "-v")));
        assertTrue(Main.verbose(new CommandLine(new Main()).parseArgs("-v", "plan", "--list-models")));
        assertFalse(Main.verbose(new CommandLine(new Main()).parseArgs("plan", "--list-models")));
    }

    @Test
    void escapeSequencesInAnErrorNeverReachTheTerminal() {
        Cli cli = Cli.run("plan", "--params", "\u001b]0;owned\u0007", "--precision", "fp16");
        assertEquals(ExitCodes.USAGE, cli.code());
        assertFalse(cli.err().contains("\u001b"), cli.err());
        assertTrue(cli.errorLine().contains("\\x1b]0;owned\\x07"), cli.errorLine());
    }
}
