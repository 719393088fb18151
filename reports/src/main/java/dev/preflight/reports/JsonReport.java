package dev.preflight.reports;

import dev.preflight.proto.files.AtomicFiles;
import dev.preflight.proto.text.TerminalText;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.preflight.proto.v1.PreflightReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JSON report: the protobuf JSON rendering of {@link PreflightReport}, field names in
 * lowerCamelCase, enums by name, every field printed (a zero count is data, not absence).
 */
public final class JsonReport {
    /** Bumped when a field changes meaning. */
    public static final int SCHEMA_VERSION = 1;
    public static final String FILE_NAME = "preflight-report.json";

    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    private JsonReport() {}

    public static String render(PreflightReport report) {
        try {
            return PRINTER.print(report) + "\n";
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("report cannot be printed as JSON", e);
        }
    }

    /** Writes {@value #FILE_NAME} into the directory, atomically; returns its path. */
    public static Path write(PreflightReport report, Path directory) throws IOException {
        Path target = directory.resolve(FILE_NAME);
        AtomicFiles.write(target, render(report));
        return target;
    }

    /** Reads back a report this tool wrote; a report from elsewhere goes through {@link #parse}, read by a bounded reader. */
    public static PreflightReport read(Path file) throws IOException, ReportFormatException {
        return parse(file.toString(), Files.readString(file));
    }

    /**
     * Parses a report read by the caller (which bounds the read: this module reads no outside file).
     *
     * @param file the name errors cite
     * @throws ReportFormatException naming the file and what is wrong with it, in one line
     */
    public static PreflightReport parse(String file, String json) throws ReportFormatException {
        if (nesting(json) > MAX_NESTING) {
            // the JSON parser recurses per level: thousands of '[' would overflow the stack
            throw new ReportFormatException(file + ": not a preflight JSON report: nests more than " + MAX_NESTING
                    + " levels deep (a report nests about ten)");
        }
        PreflightReport.Builder builder = PreflightReport.newBuilder();
        try {
            PARSER.merge(json, builder);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            // the JSON parser quotes whole documents in its messages (18 KB for a deeply nested one)
            throw new ReportFormatException(file + ": not a preflight JSON report: "
                    + TerminalText.excerpt(String.valueOf(e.getMessage())));
        }
        if (builder.getSchemaVersion() < 1 || builder.getSchemaVersion() > SCHEMA_VERSION) {
            throw new ReportFormatException(file + ": schemaVersion " + builder.getSchemaVersion()
                    + " is not one this version reads (1-" + SCHEMA_VERSION + ")");
        }
        try {
            ReportValues.check(builder);
        } catch (IllegalArgumentException e) {
            throw new ReportFormatException(file + ": " + e.getMessage());
        }
        return builder.build();
    }

    /** A report nests about ten levels (report, node, check, measurement...); ten times that is damage. */
    static final int MAX_NESTING = 100;

    /** The deepest nesting of objects and arrays, outside strings; stops counting past the limit. */
    private static int nesting(String json) {
        int depth = 0;
        int deepest = 0;
        boolean inString = false;
        for (int i = 0; i < json.length() && deepest <= MAX_NESTING; i++) {
            char c = json.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                deepest = Math.max(deepest, ++depth);
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        return deepest;
    }
}
