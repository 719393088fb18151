package dev.preflight.coordinator.cli;

import dev.preflight.proto.ToolVersion;
import dev.preflight.proto.text.TerminalText;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The preflight command line. Only {@link #main} calls System.exit; every command returns its exit code. */
@Command(name = "preflight",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Decides, with measured evidence, whether a GPU cluster can serve a model across several nodes.",
        subcommands = {RunCommand.class, AgentCommand.class, ChecksCommand.class, BenchCommand.class, PlanCommand.class,
            PolicyCommand.class, ReportCommand.class, DiffCommand.class, WorkerCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:viable (warnings allowed unless --fail-on-warn)",
            "1:not viable: at least one FAIL (even when nodes were unreachable)",
            "2:usage error: bad flags or input files",
            "3:warnings only, and --fail-on-warn was given",
            "4:incomplete with no FAIL: unreachable agents, an errored phase, an unexpected error"})
public final class Main implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Print stack traces of unexpected errors.")
    boolean verbose;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (run, agent, bench, ...)");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code; never throws. */
    public static int execute(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** As {@link #execute(String...)}, with the output and error streams given (tests read them). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new Main());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler(Main::usageError);
        commandLine.setExecutionStrategy(parseResult -> {
            quietLibraryLogging(verbose(parseResult));
            return new CommandLine.RunLast().execute(parseResult);
        });
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) -> {
            PrintWriter stderr = failed.getErr();
            boolean verbose = verbose(parseResult);
            stderr.println("preflight: unexpected error: " + TerminalText.escape(describe(exception))
                    + (verbose ? "" : " (--verbose prints the stack trace)"));
            if (verbose) {
                exception.printStackTrace(stderr);
            }
            stderr.flush();
            return ExitCodes.INCOMPLETE;
        });
        return commandLine.execute(args);
    }

    private static int usageError(ParameterException exception, String[] args) {
        CommandLine failed = exception.getCommandLine();
        PrintWriter err = failed.getErr();
        err.println("preflight: " + TerminalText.escape(exception.getMessage()));
        err.println("Try '" + failed.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return ExitCodes.USAGE;
    }

    /** -v counts wherever it was given: before the subcommand or after it. */
    static boolean verbose(ParseResult parseResult) {
        for (ParseResult level = parseResult; level != null; level = level.subcommand()) {
            if (level.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    /**
     * gRPC and its shaded Netty log through java.util.logging, stack traces included (an
     * unresolvable agent name, an oversized message): without -v they stay quiet, and what went
     * wrong reaches the user as the command's own one-line error.
     */
    private static void quietLibraryLogging(boolean verbose) {
        GRPC_LOGGER.setLevel(verbose ? null : Level.OFF);
    }

    /** Held here: java.util.logging keeps loggers weakly, and a collected one forgets its level. */
    private static final Logger GRPC_LOGGER = Logger.getLogger("io.grpc");

    private static String describe(Throwable exception) {
        String message = exception.getMessage();
        return message == null ? exception.getClass().getName() : exception.getClass().getSimpleName() + ": " + message;
    }

    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"preflight " + ToolVersion.get()};
        }
    }
}
