package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every subcommand, at every depth, answers --help with its usage and exit 0. */
class HelpTest {
    private static void collect(CommandLine command, List<String> path, List<List<String>> all) {
        for (CommandLine sub : command.getSubcommands().values()) {
            if (sub.getCommand() instanceof CommandLine.HelpCommand) {
                continue;
            }
            List<String> subPath = new ArrayList<>(path);
            subPath.add(sub.getCommandName());
            if (!all.contains(subPath)) {
                all.add(subPath);
                collect(sub, subPath, all);
            }
        }
    }

    @Test
    void everySubcommandAnswersHelp() {
        List<List<String>> commands = new ArrayList<>();
        collect(new CommandLine(new Main()), List.of(), commands);
        assertTrue(commands.contains(List.of("bench")) && commands.contains(List.of("checks", "list")), commands.toString());
        for (List<String> command : commands) {
            List<String> args = new ArrayList<>(command);
            args.add("--help");
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = Main.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
            assertEquals(ExitCodes.VIABLE, exit, String.join(" ", args) + ": " + err);
            assertTrue(out.toString().startsWith("Usage: preflight " + String.join(" ", command)),
                    String.join(" ", args) + ": " + out);
        }
    }
}
