package dev.preflight.agent.bench;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the bench needs to start its workers: the libraries they load, where the node-wide lock and
 * the logs live, how a worker is started. From the agent's flags only, never from a request. Immutable.
 */
public final class WorkerSettings {
    private final String cudartLibrary;
    private final String ncclLibrary;
    private final String ncclLibraryOrigin;
    private final Path benchLockDir;
    private final Path benchWorkDir;
    private final List<String> workerCommand;
    private final Map<String, String> workerEnvironment;

    private WorkerSettings(Builder builder) {
        this.cudartLibrary = builder.cudartLibrary;
        this.ncclLibrary = builder.ncclLibrary;
        this.ncclLibraryOrigin = builder.ncclLibraryOrigin;
        this.benchLockDir = builder.benchLockDir;
        this.benchWorkDir = builder.benchWorkDir;
        this.workerCommand = builder.workerCommand != null ? builder.workerCommand : WorkerLauncher.defaultCommand();
        this.workerEnvironment = builder.workerEnvironment;
    }

    public static WorkerSettings defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The CUDA runtime the bench workers load (a path or a soname); empty: libcudart.so.13, .12, .11.0 in turn. */
    public String cudartLibrary() {
        return cudartLibrary;
    }

    /** NCCL for the bench workers (a path or a soname); empty: libnccl.so.2. */
    public String ncclLibrary() {
        return ncclLibrary;
    }

    /** How the NCCL for the bench workers was chosen (see NcclLibraryLocator); empty when not said. */
    public String ncclLibraryOrigin() {
        return ncclLibraryOrigin;
    }

    /** Where the node-wide bench lock lives: every agent of a node must use the same directory. */
    public Path benchLockDir() {
        return benchLockDir;
    }

    /** Where the bench workers' logs go, a directory per communicator. */
    public Path benchWorkDir() {
        return benchWorkDir;
    }

    /**
     * How a bench worker is started: the java executable first, then options, class path, main
     * class and arguments (the bench adds options right after the executable).
     */
    public List<String> workerCommand() {
        return workerCommand;
    }

    /** Variables added to the workers' environment (agent configuration, never a request's). */
    public Map<String, String> workerEnvironment() {
        return workerEnvironment;
    }

    public static final class Builder {
        private String cudartLibrary = "";
        private String ncclLibrary = "";
        private String ncclLibraryOrigin = "";
        private Path benchLockDir = Paths.get(System.getProperty("java.io.tmpdir"), "preflight");
        private Path benchWorkDir = Paths.get(System.getProperty("java.io.tmpdir"), "preflight-bench");
        private List<String> workerCommand;
        private Map<String, String> workerEnvironment = Map.of();

        private Builder() {}

        public Builder cudartLibrary(String value) {
            this.cudartLibrary = Objects.requireNonNull(value);
            return this;
        }

        public Builder ncclLibrary(String value) {
            this.ncclLibrary = Objects.requireNonNull(value);
            return this;
        }

        public Builder ncclLibraryOrigin(String value) {
            this.ncclLibraryOrigin = Objects.requireNonNull(value);
            return this;
        }

        public Builder benchLockDir(Path value) {
            this.benchLockDir = Objects.requireNonNull(value);
            return this;
        }

        public Builder benchWorkDir(Path value) {
            this.benchWorkDir = Objects.requireNonNull(value);
            return this;
        }

        public Builder workerCommand(List<String> value) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException("worker command must not be empty");
            }
            this.workerCommand = List.copyOf(value);
            return this;
        }

        public Builder workerEnvironment(Map<String, String> value) {
            this.workerEnvironment = Map.copyOf(value);
            return this;
        }

        public WorkerSettings build() {
            return new WorkerSettings(this);
        }
    }
}
