package dev.preflight.coordinator.cli;

import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * SIGTERM and SIGINT as events a command handles. The JVM's own handling runs the shutdown hooks
 * and then exits with 128 + the signal (143, 130) whatever the command meant to say; a command
 * that registers here decides what a stop means (an agent's graceful shutdown and exit 0, a run's
 * partial report and its exit code). The handler runs on a thread of its own.
 */
final class Termination {
    private static final String[] SIGNALS = {"TERM", "INT"};

    private Termination() {}

    /** @param handler given the signal's name, "SIGTERM" or "SIGINT" */
    static void onSignal(Consumer<String> handler) {
        for (String name : SIGNALS) {
            Signal.handle(new Signal(name), signal -> handler.accept("SIG" + signal.getName()));
        }
    }
}
