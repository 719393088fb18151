package dev.preflight.coordinator.cli;

/** The exit codes a pipeline gates on; listed in --help. */
public final class ExitCodes {
    /** Viable (warnings allowed unless --fail-on-warn). */
    public static final int VIABLE = 0;
    /** Not viable: at least one FAIL, even when other nodes were unreachable. */
    public static final int NOT_VIABLE = 1;
    /** Bad command line or input file. */
    public static final int USAGE = 2;
    /** Warnings only, and --fail-on-warn was given. */
    public static final int WARNINGS = 3;
    /** Incomplete with no FAIL: unreachable agents, an errored phase, an unexpected error. */
    public static final int INCOMPLETE = 4;

    private ExitCodes() {}
}
