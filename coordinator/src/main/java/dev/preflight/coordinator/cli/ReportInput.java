package dev.preflight.coordinator.cli;

import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import dev.preflight.reports.ReportFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Reads a JSON report named on the command line; a missing or malformed one is a usage error. */
final class ReportInput {
    private ReportInput() {}

    static PreflightReport read(CommandLine commandLine, String flag, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ParameterException(commandLine, flag + " " + file + ": no such file");
        }
        try {
            return JsonReport.read(file);
        } catch (ReportFormatException e) {
            throw new ParameterException(commandLine, flag + " " + e.getMessage().replaceAll("\\s*\\R\\s*", " "));
        } catch (IOException e) {
            throw new ParameterException(commandLine, flag + " " + file + ": cannot read: " + e.getMessage());
        }
    }
}
