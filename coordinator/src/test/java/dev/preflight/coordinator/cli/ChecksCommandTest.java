package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.check.Threshold;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** preflight checks list|thresholds, and the node-check flags' validation. */
class ChecksCommandTest {
    record Outcome(int exit, String out, String err) {}

    static Outcome execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(exit, out.toString(), err.toString());
    }

    @Test
    void listPrintsEveryCheckWithItsScopeAndOneLine() {
        Outcome result = execute("checks", "list");
        assertEquals(ExitCodes.VIABLE, result.exit(), result.err());
        String[] lines = result.out().split("\n");
        assertEquals(Checks.standard().all().size(), lines.length);
        for (int i = 0; i < lines.length; i++) {
            Check check = Checks.standard().all().get(i);
            assertTrue(lines[i].startsWith(check.id() + " "), lines[i]);
            assertTrue(lines[i].contains(" " + check.scope().name() + " ") && lines[i].endsWith(check.description()), lines[i]);
        }
        assertTrue(result.out().contains("fabric.nccl_env"), result.out());
    }

    @Test
    void thresholdsAreListedWithTheirDefaults() {
        Outcome result = execute("checks", "thresholds");
        assertEquals(ExitCodes.VIABLE, result.exit(), result.err());
        for (Threshold threshold : Checks.thresholds()) {
            assertTrue(result.out().contains(threshold.name()), result.out());
        }
        assertTrue(result.out().contains("host.nofile.warn_below") && result.out().contains("65536 files"), result.out());
    }

    @Test
    void checksAloneIsAUsageError() {
        Outcome result = execute("checks");
        assertEquals(ExitCodes.USAGE, result.exit());
        assertTrue(result.err().contains("a subcommand is required (list, thresholds)"), result.err());
    }

    @Test
    void badNodeCheckFlagsAreUsageErrorsNamingTheValue() {
        Outcome unknown = execute("run", "--threshold", "host.nofile.warnbelow=1", "--quiet");
        assertEquals(ExitCodes.USAGE, unknown.exit(), unknown.err());
        assertTrue(unknown.err().contains("unknown threshold 'host.nofile.warnbelow'"), unknown.err());
        Outcome notANumber = execute("run", "--threshold", "host.nofile.warn_below=lots", "--quiet");
        assertEquals(ExitCodes.USAGE, notANumber.exit());
        assertTrue(notANumber.err().contains("'lots' is not a number"), notANumber.err());
        Outcome relative = execute("run", "--model-store", "models", "--quiet");
        assertEquals(ExitCodes.USAGE, relative.exit());
        assertTrue(relative.err().contains("--model-store: model store must be an absolute path, got models"), relative.err());
        Outcome size = execute("run", "--storage-read-bytes", "1 gigabyte", "--quiet");
        assertEquals(ExitCodes.USAGE, size.exit());
        assertTrue(size.err().contains("'1 gigabyte' is not a size"), size.err());
        Outcome remote = execute("run", "--agents", "node1:7744", "--host-views");
        assertEquals(ExitCodes.USAGE, remote.exit());
        assertTrue(remote.err().contains("apply to the embedded agent only"), remote.err());
    }

    @Test
    void storageReadSizesTakeExplicitUnitsAndZeroTurnsTheReadOff() {
        ByteSizeConverter.ZeroAllowed converter = new ByteSizeConverter.ZeroAllowed();
        assertEquals(1L << 30, converter.convert("1GiB"));
        assertEquals(512L << 20, converter.convert("512MiB"));
        assertEquals(512_000_000L, converter.convert("512MB"));
        assertEquals(0L, converter.convert("0"));
        assertThrows(TypeConversionException.class, () -> converter.convert("1073741824"),
                "a bare number is ambiguous: bytes, or GB meant?");
    }
}
