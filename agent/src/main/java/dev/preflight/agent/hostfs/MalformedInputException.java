package dev.preflight.agent.hostfs;

import dev.preflight.proto.text.TerminalText;
import java.nio.file.Path;

/** A file's content is not what the kernel ABI (or the tool that wrote it) promises. */
public final class MalformedInputException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedInputException(Path path, String content, String expectation) {
        super("malformed " + path + ": expected " + expectation + ", got " + snippet(content));
    }

    public MalformedInputException(String source, String content, String expectation) {
        super("malformed " + source + ": expected " + expectation + ", got " + snippet(content));
    }

    static String snippet(String content) {
        if (content == null) {
            return "nothing";
        }
        String stripped = content.strip();
        if (stripped.isEmpty()) {
            return "an empty file";
        }
        // one line, control bytes shown: the message reaches terminals and one-line report fields
        return "'" + TerminalText.excerpt(stripped) + "'";
    }
}
