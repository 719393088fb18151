package dev.preflight.proto.text;

import java.util.Locale;

/**
 * The one way text from outside (file contents, host and interface names, agent answers, report
 * fields, error messages that quote any of them) is made safe to print on a terminal. A /proc or
 * /sys value, a report written by someone else or a name an agent sends may hold ESC sequences that
 * rewrite the screen or the title, BEL, NUL, carriage returns that overprint a verdict, or bidi
 * controls that reorder it; each is shown as a visible escape ({@code \x1b}, {@code \r},
 * {@code \u202e}) instead.
 */
public final class TerminalText {
    /** Error lines quote at most this much of a value; the rest is counted, not printed. */
    public static final int MAX_QUOTED = 200;

    private TerminalText() {}

    /** One line: every control character, newlines included, shown as an escape. */
    public static String escape(String text) {
        return escape(text, false);
    }

    /** Several lines: newlines kept, every other control character shown as an escape. */
    public static String escapeLines(String text) {
        return escape(text, true);
    }

    /** One line of at most {@value #MAX_QUOTED} characters of {@code text}, escaped; longer text says how long it was. */
    public static String excerpt(String text) {
        if (text == null) {
            return "";
        }
        if (text.length() <= MAX_QUOTED) {
            return escape(text);
        }
        return escape(text.substring(0, MAX_QUOTED)) + "…(" + text.length() + " chars)";
    }

    private static String escape(String text, boolean keepNewlines) {
        if (text == null) {
            return "";
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String replacement = replacement(c, keepNewlines);
            if (replacement == null) {
                if (out != null) {
                    out.append(c);
                }
                continue;
            }
            if (out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            out.append(replacement);
        }
        return out == null ? text : out.toString();
    }

    private static String replacement(char c, boolean keepNewlines) {
        if (c == '\n') {
            return keepNewlines ? null : "\\n";
        }
        if (c == '\t') {
            return "\\t";
        }
        if (c == '\r') {
            return "\\r";
        }
        if (c < 0x20 || c == 0x7f) {
            return String.format(Locale.ROOT, "\\x%02x", (int) c);
        }
        if ((c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)
                || c == 0x200e || c == 0x200f || c == 0x061c) {
            return String.format(Locale.ROOT, "\\u%04x", (int) c);
        }
        return null;
    }
}
