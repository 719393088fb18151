package dev.preflight.agent;

import dev.preflight.agent.bench.GpuBusyProbe;
import dev.preflight.agent.bench.WorkerSettings;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.gpu.GpuSources;
import dev.preflight.proto.v1.CollectiveResults;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The agent's configuration, assembled from one object per concern, each handed only to what uses
 * it: the checks get {@link CheckSettings}, the GPU inventory {@link GpuSources}, the bench
 * {@link WorkerSettings}. From the agent's flags only, never from a request. Immutable; made with
 * {@link #builder()}, where a concern not given keeps its defaults.
 */
public final class AgentSettings {
    private final String nodeName;
    private final CheckSettings checks;
    private final GpuSources gpuSources;
    private final WorkerSettings worker;
    private final GpuBusyProbe gpuBusyProbe;
    private final Consumer<CollectiveResults> benchResults;

    private AgentSettings(Builder builder) {
        this.nodeName = builder.nodeName;
        this.checks = builder.checks;
        this.gpuSources = builder.gpuSources;
        this.worker = builder.worker;
        this.gpuBusyProbe = builder.gpuBusyProbe;
        this.benchResults = builder.benchResults;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The name the agent reports; empty means "the hostname". */
    public String nodeName() {
        return nodeName;
    }

    /** What the checks judge with. */
    public CheckSettings checks() {
        return checks;
    }

    /** Where the GPU inventory comes from. */
    public GpuSources gpuSources() {
        return gpuSources;
    }

    /** How the bench starts its workers. */
    public WorkerSettings worker() {
        return worker;
    }

    /** Tells whether other processes hold the GPUs before a bench; empty: ask the GPU inventory. */
    public Optional<GpuBusyProbe> gpuBusyProbe() {
        return Optional.ofNullable(gpuBusyProbe);
    }

    /** Told of every bench this agent ran (the metrics endpoint exports them). */
    public Consumer<CollectiveResults> benchResults() {
        return benchResults;
    }

    public static final class Builder {
        private String nodeName = "";
        private CheckSettings checks;
        private GpuSources gpuSources;
        private WorkerSettings worker;
        private GpuBusyProbe gpuBusyProbe;
        private Consumer<CollectiveResults> benchResults = results -> { };

        private Builder() {}

        public Builder nodeName(String value) {
            this.nodeName = Objects.requireNonNull(value);
            return this;
        }

        public Builder checks(CheckSettings value) {
            this.checks = Objects.requireNonNull(value);
            return this;
        }

        public Builder gpuSources(GpuSources value) {
            this.gpuSources = Objects.requireNonNull(value);
            return this;
        }

        public Builder worker(WorkerSettings value) {
            this.worker = Objects.requireNonNull(value);
            return this;
        }

        public Builder gpuBusyProbe(GpuBusyProbe value) {
            this.gpuBusyProbe = Objects.requireNonNull(value);
            return this;
        }

        public Builder benchResults(Consumer<CollectiveResults> value) {
            this.benchResults = Objects.requireNonNull(value);
            return this;
        }

        /** The settings; a concern not given gets its defaults (read from the environment only now, when needed). */
        public AgentSettings build() {
            if (checks == null) {
                checks = CheckSettings.defaults();
            }
            if (gpuSources == null) {
                gpuSources = GpuSources.defaults();
            }
            if (worker == null) {
                worker = WorkerSettings.defaults();
            }
            return new AgentSettings(this);
        }
    }
}
