package dev.preflight.coordinator.cli;

import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.ReportFormat;
import dev.preflight.reports.ReportWriter;
import dev.preflight.reports.TerminalSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "report", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Re-render a saved JSON report in other formats (and, with --policy, re-judge it).",
                "Prints the terminal summary; exits with the report's verdict, as 'preflight run' does."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:viable (warnings allowed unless --fail-on-warn)",
            "1:not viable: at least one FAIL",
            "2:usage error: bad flags, a missing or malformed report or policy file",
            "3:warnings only, and --fail-on-warn was given",
            "4:incomplete with no FAIL; or the files could not be written"})
public final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--from", paramLabel = "REPORT.json", required = true, description = "The JSON report to render.")
    Path from;

    @Option(names = "--format", paramLabel = "LIST", defaultValue = "junit,md,html", converter = FormatsConverter.class,
            description = "Comma-separated formats: json, junit, md, html (default: ${DEFAULT-VALUE}).")
    Set<ReportFormat> formats;

    @Option(names = "--out", paramLabel = "DIR", description = "Directory for the files (default: the report's directory).")
    Path outDir;

    @Option(names = "--fail-on-warn", description = "Exit 3 when the verdict has warnings but no failure.")
    boolean failOnWarn;

    @Mixin
    PolicyOption policy;

    @Override
    public Integer call() {
        PreflightReport report = ReportInput.read(spec.commandLine(), "--from", from);
        if (policy.file != null) {
            report = new Scorer(policy.load()).score(report);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        out.print(new TerminalSummary(System.console() != null && System.getenv("NO_COLOR") == null).render(report));
        out.flush();
        Path directory = outDir != null ? outDir : from.toAbsolutePath().getParent();
        try {
            for (Path written : ReportWriter.write(report, directory, formats)) {
                err.println("preflight: wrote " + written);
            }
        } catch (IOException e) {
            err.println("preflight: cannot write the report to " + directory + ": " + e.getMessage());
            err.flush();
            return ExitCodes.INCOMPLETE;
        }
        err.flush();
        return RunCommand.exitCode(report.getVerdict(), failOnWarn);
    }
}
