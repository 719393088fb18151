package dev.preflight.coordinator.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "policy", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "The scoring policy: every threshold the verdict depends on.",
        subcommands = {PolicyCommand.Show.class})
public final class PolicyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "a subcommand is required (show)");
    }

    @Command(name = "show", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
            description = {"Print the effective policy as YAML: the built-in defaults, with --policy FILE laid over them.",
                    "The output is itself a valid policy file."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:printed", "2:usage error: bad flags or a malformed policy file"})
    static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        PolicyOption policy;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(policy.load().toYaml());
            spec.commandLine().getOut().flush();
            return ExitCodes.VIABLE;
        }
    }
}
