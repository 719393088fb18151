package dev.preflight.coordinator.cli;

import dev.preflight.agent.bench.NcclLibraryLocator;
import dev.preflight.agent.bench.WorkerLauncher;
import dev.preflight.agent.bench.WorkerSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where the bench finds the CUDA runtime and NCCL, and where it keeps its lock and logs: the
 * agent's own configuration (flags or environment), never a request's.
 */
public final class BenchLibraryOptions {
    static final String CUDART_ENV = "PREFLIGHT_CUDART_LIBRARY";
    static final String NCCL_ENV = "PREFLIGHT_NCCL_LIBRARY";

    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--cudart-lib", paramLabel = "PATH",
            description = "CUDA runtime for the bench workers (default: $" + CUDART_ENV
                    + ", else libcudart.so.13, .12, .11.0 in turn).")
    String cudartLib;

    @Option(names = "--nccl-lib", paramLabel = "PATH",
            description = "NCCL for the bench workers (default: $" + NCCL_ENV + ", else the one the serving engine "
                    + "would load: $NCCL_HOME/lib, $LD_LIBRARY_PATH, the nvidia/nccl/lib wheel in the site-packages of "
                    + "the python3 on $PATH, else libnccl.so.2 by the loader's search).")
    String ncclLib;

    @Option(names = "--bench-lock-dir", paramLabel = "DIR",
            description = "Directory of the node-wide bench lock; every agent of a node must share it "
                    + "(default: the temporary directory's preflight/).")
    Path benchLockDir;

    @Option(names = "--bench-dir", paramLabel = "DIR",
            description = "Where bench workers write their logs (default: the temporary directory's preflight-bench/).")
    Path benchDir;

    boolean anyGiven() {
        return cudartLib != null || ncclLib != null || benchLockDir != null || benchDir != null;
    }

    /** Sets the bench settings, with the worker started as `preflight worker` from this jar. */
    WorkerSettings.Builder apply(WorkerSettings.Builder builder) {
        NcclLibraryLocator.Located cudart = library("--cudart-lib", cudartLib, CUDART_ENV);
        NcclLibraryLocator.Located nccl = nccl();
        builder.cudartLibrary(cudart == null ? "" : cudart.library())
                .ncclLibrary(nccl.library())
                .ncclLibraryOrigin(nccl.origin())
                .workerCommand(WorkerLauncher.command(WorkerLauncher.DEFAULT_JVM_OPTIONS, Main.class.getName(),
                        List.of("worker")));
        if (benchLockDir != null) {
            builder.benchLockDir(benchLockDir);
        }
        if (benchDir != null) {
            builder.benchWorkDir(benchDir);
        }
        return builder;
    }

    /** The explicit NCCL (flag, else environment), else the one the serving engine would find on this node. */
    private NcclLibraryLocator.Located nccl() {
        NcclLibraryLocator.Located explicit = library("--nccl-lib", ncclLib, NCCL_ENV);
        return explicit != null ? explicit : NcclLibraryLocator.locate(System.getenv());
    }

    /**
     * The flag's value, else the environment's, with where it came from; null when neither is set.
     * A value with a slash must be an existing file (a bare soname is left to the dynamic loader's
     * search).
     */
    private NcclLibraryLocator.Located library(String flag, String value, String env) {
        String source = flag;
        String chosen = value;
        if (chosen == null) {
            chosen = System.getenv(env);
            source = "$" + env;
        }
        if (chosen == null || chosen.isEmpty()) {
            return null;
        }
        if (chosen.contains("/") && !Files.isRegularFile(Paths.get(chosen))) {
            throw new ParameterException(spec.commandLine(), source + " " + chosen + ": no such file");
        }
        return new NcclLibraryLocator.Located(chosen, source);
    }
}
