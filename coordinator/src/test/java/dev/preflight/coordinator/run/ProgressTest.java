package dev.preflight.coordinator.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Live status on a terminal, plain lines otherwise. */
class ProgressTest {
    @Test
    void aTerminalRewritesTheStatusLineAndALogKeepsOnlyTheLines() {
        StringWriter terminal = new StringWriter();
        Progress live = Progress.to(new PrintWriter(terminal), true);
        live.line("phase rails");
        live.status("rails: rail 0 (4 nodes): all_reduce 1 MiB (1/2)");
        live.status("rails: rail 0 (4 nodes): all_reduce 2 MiB (2/2)");
        live.line("phase pairwise");
        String nl = System.lineSeparator();
        assertEquals("preflight: phase rails" + nl
                + "\r\033[Kpreflight: rails: rail 0 (4 nodes): all_reduce 1 MiB (1/2)"
                + "\r\033[Kpreflight: rails: rail 0 (4 nodes): all_reduce 2 MiB (2/2)"
                + "\r\033[Kpreflight: phase pairwise" + nl, terminal.toString());

        StringWriter log = new StringWriter();
        Progress plain = Progress.to(new PrintWriter(log), false);
        plain.line("phase rails");
        plain.status("rails: rail 0 (4 nodes): all_reduce 1 MiB (1/2)");
        plain.line("phase pairwise");
        assertEquals("preflight: phase rails" + nl + "preflight: phase pairwise" + nl, log.toString());
    }
}
