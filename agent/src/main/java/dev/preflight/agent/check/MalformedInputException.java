package dev.preflight.agent.check;

import java.nio.file.Path;

/** A file's content is not what the kernel ABI (or the tool that wrote it) promises. */
public final class MalformedInputException extends Exception {
    private static final long serialVersionUID = 1L;
    private static final int SNIPPET = 200;

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
        String oneLine = content.strip().replace("\n", "\\n");
        if (oneLine.isEmpty()) {
            return "an empty file";
        }
        return "'" + (oneLine.length() > SNIPPET ? oneLine.substring(0, SNIPPET) + "…" : oneLine) + "'";
    }
}
