package dev.preflight.coordinator.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** One in-process run of the CLI: its exit code, stdout and stderr. */
record CliResult(int exitCode, String out, String err) {
    static CliResult run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new CliResult(code, out.toString(), err.toString());
    }

    static CliResult run(String... args) {
        return run(List.of(args));
    }
}
