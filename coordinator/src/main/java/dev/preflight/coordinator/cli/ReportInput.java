package dev.preflight.coordinator.cli;

import dev.preflight.agent.hostfs.BoundedFile;
import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import dev.preflight.reports.ReportFormatException;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Reads a JSON report named on the command line; a missing, unreadable or malformed one is a usage error. */
final class ReportInput {
    private ReportInput() {}

    static PreflightReport read(CommandLine commandLine, String flag, Path file) {
        String json;
        try {
            json = BoundedFile.readText(file, BoundedFile.REPORT);
        } catch (IOException e) {
            throw new ParameterException(commandLine, flag + " " + IoErrors.describe(e));
        }
        try {
            return JsonReport.parse(file.toString(), json);
        } catch (ReportFormatException e) {
            throw new ParameterException(commandLine, flag + " " + e.getMessage().replaceAll("\\s*\\R\\s*", " "));
        }
    }
}
