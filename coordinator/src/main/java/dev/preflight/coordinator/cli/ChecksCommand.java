package dev.preflight.coordinator.cli;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.check.Threshold;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "checks", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Describe the node checks.",
        subcommands = {ChecksCommand.ListCommand.class, ChecksCommand.ThresholdsCommand.class})
public final class ChecksCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (list, thresholds)");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Print every check id, its scope and one line of what it verifies.")
    static final class ListCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            int width = 0;
            for (Check check : Checks.standard().all()) {
                width = Math.max(width, check.id().length());
            }
            for (Check check : Checks.standard().all()) {
                out.printf(Locale.ROOT, "%-" + width + "s  %-7s  %s%n", check.id(), check.scope().name(), check.description());
            }
            out.flush();
            return ExitCodes.VIABLE;
        }
    }

    @Command(name = "thresholds", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = "Print every named threshold, its default and what it decides (override with --threshold NAME=VALUE).")
    static final class ThresholdsCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            int width = 0;
            for (Threshold threshold : Checks.thresholds()) {
                width = Math.max(width, threshold.name().length());
            }
            for (Threshold threshold : Checks.thresholds()) {
                double value = threshold.defaultValue();
                String shown = value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
                out.printf(Locale.ROOT, "%-" + width + "s  %s %s  %s%n", threshold.name(), shown, threshold.unit(),
                        threshold.description());
            }
            out.flush();
            return ExitCodes.VIABLE;
        }
    }
}
