package dev.preflight.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.cli.ByteSizeConverter;
import dev.preflight.coordinator.cli.DurationConverter;
import dev.preflight.coordinator.score.PolicyException;
import dev.preflight.coordinator.score.PolicyFile;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import dev.preflight.reports.ReportFormatException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import picocli.CommandLine.TypeConversionException;

/**
 * The parsers of what users and other teams hand over (policy YAML, report JSON, hostfiles, Slurm
 * nodelists, sizes and durations on flags), fed arbitrary and mutated real input: each gives a value
 * or a one-line error naming what was expected, never another exception and never a hang.
 */
class InputParsersPropertiesTest {
    private static final String POLICY = "interconnect:\n  recommendedFrom: 50GB/s\n  efficiencyFloor: 80%\n"
            + "intraNode:\n  - part: H100\n    gpus: 8\n    passFrom: 370GB/s\n    failBelow: 300GB/s\n"
            + "limits:\n  memlock:\n    failBelow: 1GiB\n"
            + "outliers:\n  madZ: 3.5\n  minFleet: 4\nstatistic:\n  largeMessageMin: 256MiB\n"
            + "diff:\n  regression: 10%\nplan:\n  headroom: 10%\n";
    private static final String REPORT = sampleReport();

    @Provide
    Arbitrary<String> yaml() {
        Arbitrary<String> mutated = mutations(POLICY);
        Arbitrary<String> values = Arbitraries.of(".nan", ".inf", "-.inf", "99999999999999", "-1", "1e400", "0x10", "~",
                "!!binary AAAA", "&a [*a, *a]", "{", "NaN GB/s", "1e99999GB/s", "99999999999999999999PB", "3.5",
                "\"\\u001b[2J\"");
        Arbitrary<String> keyed = Arbitraries.of("outliers:\n  madZ: %s\n", "outliers:\n  minFleet: %s\n",
                "interconnect:\n  optimalFrom: %s\n", "statistic:\n  largeMessageMin: %s\n", "limits:\n  memlock:\n    failBelow: %s\n",
                "intraNode:\n  - part: X\n    gpus: %s\n    passFrom: 1GB/s\n    failBelow: 1GB/s\n", "plan:\n  headroom: %s\n")
                .flatMap(template -> values.map(value -> String.format(template, value)));
        return Arbitraries.oneOf(mutated, keyed, Arbitraries.strings().ofMaxLength(200));
    }

    @Property(tries = 1500)
    void policiesAreValuesOrOneLineErrors(@ForAll("yaml") String yaml) {
        try {
            PolicyFile.parse("policy.yaml", yaml);
        } catch (PolicyException e) {
            assertOneLine(e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> json() {
        Arbitrary<String> numbers = Arbitraries.of("\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "-1", "1e400", "1e308",
                "99999999999999999999", "\"x\"", "null", "[]", "{}");
        Arbitrary<String> replaced = numbers.flatMap(number -> Arbitraries.of("\"busbwGbps\": ", "\"p50Us\": ",
                "\"clockRttMillis\": ", "\"readBytesPerSecond\": ", "\"schemaVersion\": ")
                .map(key -> REPORT.replaceFirst("(" + key + ")[-0-9.eE]+", "$1" + java.util.regex.Matcher.quoteReplacement(number))));
        return Arbitraries.oneOf(mutations(REPORT), replaced, Arbitraries.strings().ofMaxLength(200),
                Arbitraries.integers().between(1, 5000).map(depth -> "[".repeat(depth) + "]".repeat(depth)));
    }

    @Property(tries = 300)
    void reportsAreValuesOrOneLineErrors(@ForAll("json") String json) {
        try {
            PreflightReport report = JsonReport.parse("report.json", json);
            assertTrue(report.getSchemaVersion() >= 1);
        } catch (ReportFormatException e) {
            assertOneLine(e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> hosts() {
        Arbitrary<String> lines = Arbitraries.of("gpu-01", "gpu-02:7744", "gpu-03 slots=8", "# comment", "", "[::1]:7744",
                "host:99999", "host:-1", "host:0", "a:b:c", "\u001b[2J", "gpu-[01-04]", "gpu-[1-99999999]", "gpu-[5-1]",
                "n[01-02],m[1-3]", "x[", "]", ",", "gpu-[0000000001-0000000003]");
        return Arbitraries.oneOf(lines.list().ofMaxSize(6).map(list -> String.join("\n", list)),
                Arbitraries.strings().ofMaxLength(100));
    }

    @Property(tries = 1500)
    void hostfilesAreValuesOrOneLineErrors(@ForAll("hosts") String content) {
        try {
            List<DiscoveredAgent> agents = Hostfile.parse(content, "hosts", 7744);
            assertTrue(agents.size() <= content.split("\n", -1).length);
        } catch (IllegalArgumentException e) {
            assertOneLine(e.getMessage());
        }
    }

    @Property(tries = 1500)
    void nodelistsAreValuesOrOneLineErrors(@ForAll("hosts") String nodelist) {
        try {
            assertTrue(SlurmNodelist.expand(nodelist).size() <= SlurmNodelist.MAX_NODES);
        } catch (IllegalArgumentException e) {
            assertOneLine(e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> quantities() {
        return Arbitraries.oneOf(Arbitraries.strings().withChars("0123456789.eE+- kKMGTPiBbsmh").ofMaxLength(24),
                Arbitraries.strings().ofMaxLength(40), Arbitraries.of("0s", "1ms", "168h", "169h", "9999999999999999999h",
                        "80GB", "1EiB", "2EB", "NaN GB", "1e4000GB", "-5GB"));
    }

    @Property(tries = 1500)
    void sizesAndDurationsOnFlagsAreValuesOrOneLineErrors(@ForAll("quantities") String text) {
        try {
            long bytes = new ByteSizeConverter().convert(text);
            assertTrue(bytes > 0 && bytes <= 1L << 60, text);
        } catch (TypeConversionException e) {
            assertOneLine(e.getMessage());
        }
        try {
            assertTrue(new DurationConverter().convert(text).toMillis() >= 1);
        } catch (TypeConversionException e) {
            assertOneLine(e.getMessage());
        }
    }

    private static Arbitrary<String> mutations(String real) {
        return Arbitraries.integers().between(0, real.length()).flatMap(cut -> Arbitraries.integers().between(0, 20)
                .flatMap(drop -> Arbitraries.strings().ofMaxLength(10).map(noise -> real.substring(0, cut) + noise
                        + real.substring(Math.min(real.length(), cut + drop)))));
    }

    private static void assertOneLine(String message) {
        assertFalse(message.contains("\n") || message.contains("\r"), message);
        assertTrue(message.length() < 1000, () -> message.length() + " chars: " + message.substring(0, 200));
        for (char c : message.toCharArray()) {
            assertFalse(c < 0x20 || c == 0x7f, message);
        }
    }

    private static String sampleReport() {
        try (var in = InputParsersPropertiesTest.class.getResourceAsStream("/golden/sample-report.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
