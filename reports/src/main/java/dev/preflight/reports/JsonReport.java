package dev.preflight.reports;

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

    /**
     * Reads a report back.
     *
     * @throws ReportFormatException naming the file and what is wrong with it
     */
    public static PreflightReport read(Path file) throws IOException, ReportFormatException {
        String json = Files.readString(file);
        PreflightReport.Builder builder = PreflightReport.newBuilder();
        try {
            PARSER.merge(json, builder);
        } catch (InvalidProtocolBufferException e) {
            throw new ReportFormatException(file + ": not a preflight JSON report: " + e.getMessage());
        }
        if (builder.getSchemaVersion() < 1 || builder.getSchemaVersion() > SCHEMA_VERSION) {
            throw new ReportFormatException(file + ": schemaVersion " + builder.getSchemaVersion()
                    + " is not one this version reads (1-" + SCHEMA_VERSION + ")");
        }
        return builder.build();
    }
}
