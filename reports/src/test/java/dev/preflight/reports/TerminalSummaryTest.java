package dev.preflight.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Verdict;
import org.junit.jupiter.api.Test;

/**
 * Bytes read from procfs and sysfs (a process name, an interface name, a file's content) reach the
 * summary only escaped: an ESC, a BEL or a NUL never gets to the terminal raw.
 */
class TerminalSummaryTest {
    private static final String HOSTILE = "mlx5\u001b]0;owned\u0007\u0000\u009b2J";

    private static PreflightReport report() {
        return PreflightReport.newBuilder()
                .setToolVersion("0.1.0")
                .setVerdict(Verdict.NOT_VIABLE)
                .addNodes(NodeReport.newBuilder()
                        .setNodeName("gpu-1" + HOSTILE)
                        .setReachability(NodeReport.Reachability.REACHABLE)
                        .addChecks(CheckResult.newBuilder().setId("fabric.ib_ports").setSubject(HOSTILE)
                                .setStatus(CheckResult.Status.FAIL).setSummary("port " + HOSTILE + " is DOWN")
                                .setObserved(HOSTILE).setExpected("ACTIVE").setRemediation("check " + HOSTILE)))
                .build();
    }

    @Test
    void controlBytesFromTheHostAreShownEscaped() {
        String text = new TerminalSummary(false).render(report());
        for (char raw : new char[] {'\u001b', '\u0007', '\u0000', '\u009b'}) {
            assertEquals(-1, text.indexOf(raw), "raw U+" + Integer.toHexString(raw) + " in: " + text);
        }
        assertTrue(text.contains("port mlx5\\x1b]0;owned\\x07\\x00\\u009b2J is DOWN"), text);
        assertTrue(text.contains("observed: mlx5\\x1b]0;owned"), text);
    }

    @Test
    void withColourOnlyTheSummarysOwnColoursAreEscapeSequences() {
        String text = new TerminalSummary(true).render(report());
        // every ESC that remains starts one of the summary's own SGR colour codes
        assertFalse(text.replaceAll("\u001b\\[[0-9;]*m", "").contains("\u001b"), text);
        assertTrue(text.contains("\\x1b]0;owned"), text);
    }
}
