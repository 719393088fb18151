package dev.preflight.agent.bench;

import dev.preflight.nativelib.NativeLibrary;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/** The command line that starts a bench worker: this JVM's java, this JVM's class path. */
public final class WorkerLauncher {
    /**
     * Small and quick to start: the timed loop runs in C, so the JIT's top tier buys nothing and a
     * small serial heap keeps eight workers cheap.
     */
    public static final List<String> DEFAULT_JVM_OPTIONS = List.of(
            "-Xms16m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto");

    private WorkerLauncher() {}

    /**
     * java OPTIONS -cp CLASSPATH MAIN ARGS, with this JVM's explicit native library path passed on.
     *
     * @param mainClass {@link WorkerMain}, or the CLI's main class with "worker" as the argument
     */
    public static List<String> command(List<String> jvmOptions, String mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        String nativePath = System.getProperty(NativeLibrary.PATH_PROPERTY);
        if (nativePath != null && !nativePath.isBlank()) {
            command.add("-D" + NativeLibrary.PATH_PROPERTY + "=" + nativePath);
        }
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        return command;
    }

    /** The default: {@link WorkerMain} with {@link #DEFAULT_JVM_OPTIONS}. */
    public static List<String> defaultCommand() {
        return command(DEFAULT_JVM_OPTIONS, WorkerMain.class.getName(), List.of());
    }
}
