package dev.preflight.coordinator.run;

import dev.preflight.proto.text.TerminalText;
import java.io.PrintWriter;

/**
 * Where a run reports how it is getting on: lines that stay (a phase starts, a node is lost), and a
 * live status (the size a collective is at) that a terminal keeps rewriting on one line and a log
 * leaves out.
 */
public interface Progress {
    void line(String text);

    void status(String text);

    Progress QUIET = new Progress() {
        @Override
        public void line(String text) {}

        @Override
        public void status(String text) {}
    };

    /** "preflight: "-prefixed lines on err; with live, the status rewrites the terminal's last line. */
    static Progress to(PrintWriter err, boolean live) {
        return new Progress() {
            private boolean statusShown;

            @Override
            public void line(String text) {
                synchronized (err) {
                    if (statusShown) {
                        err.print("\r\033[K");
                        statusShown = false;
                    }
                    // phase errors quote agents' answers: only this class's own \r and erase codes reach the terminal
                    err.println("preflight: " + TerminalText.escape(text));
                    err.flush();
                }
            }

            @Override
            public void status(String text) {
                if (!live) {
                    return;
                }
                synchronized (err) {
                    String shown = "preflight: " + TerminalText.escape(text);
                    err.print("\r\033[K" + (shown.length() > 120 ? shown.substring(0, 119) + "…" : shown));
                    err.flush();
                    statusShown = true;
                }
            }
        };
    }
}
