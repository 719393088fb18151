package dev.preflight.coordinator.cli;

import dev.preflight.agent.bench.WorkerMain;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** `preflight worker`: a bench worker the agent starts, one per GPU; not for people to run. */
@Command(name = "worker", hidden = true, mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Bench worker for one GPU, driven by its agent over stdin/stdout (started by the agent).")
public final class WorkerCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return WorkerMain.run();
    }
}
