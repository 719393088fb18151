package dev.preflight.coordinator.cli;

import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.BaselineDiff;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "diff", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Compare a report with a baseline: numbers that got worse by more than the policy's "
                + "regression percentage (diff.regression, default 5%%), results that changed status, nodes that "
                + "appeared or vanished.",
                "Both reports are judged under the same policy (the built-in one, or --policy FILE)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:no regression that the policy judges FAIL",
                "1:a regression is a FAIL under the policy (or a result became FAIL)",
                "2:usage error: bad flags, a missing or malformed report or policy file"})
public final class DiffCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--baseline", paramLabel = "OLD.json", required = true, description = "The report to compare against.")
    Path baseline;

    @Parameters(index = "0", paramLabel = "NEW.json", description = "The new report.")
    Path current;

    @Mixin
    PolicyOption policyOption;

    @Override
    public Integer call() {
        Policy policy = policyOption.load();
        Scorer scorer = new Scorer(policy);
        PreflightReport old = scorer.score(ReportInput.read(spec.commandLine(), "--baseline", baseline));
        PreflightReport now = scorer.score(ReportInput.read(spec.commandLine(), "NEW.json", current));
        BaselineDiff.Result result = BaselineDiff.compare(old, now, policy.regressionPercent());
        if (result.compared() == 0) {
            // "ok (0 numbers compared)" would pass a gate on two reports that measure different things
            throw new ParameterException(spec.commandLine(), "no number appears in both " + baseline + " and " + current
                    + ": nothing to compare (a run report against a bench report, or reports of different phases?)");
        }
        spec.commandLine().getOut().print(BaselineDiff.render(result));
        spec.commandLine().getOut().flush();
        return result.failing() ? ExitCodes.NOT_VIABLE : ExitCodes.VIABLE;
    }
}
