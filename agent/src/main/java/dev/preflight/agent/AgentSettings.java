package dev.preflight.agent;

import dev.preflight.agent.gpu.GpuSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * The agent's own configuration: from its flags only, never from a request. Immutable; made with
 * {@link #builder()} so a new setting does not disturb existing call sites.
 */
public final class AgentSettings {
    public static final Duration DEFAULT_CHECK_TIMEOUT = Duration.ofSeconds(30);

    private final String nodeName;
    private final boolean hostViews;
    private final Duration checkTimeout;
    private final GpuSettings gpu;

    private AgentSettings(Builder builder) {
        this.nodeName = builder.nodeName;
        this.hostViews = builder.hostViews;
        this.checkTimeout = builder.checkTimeout;
        this.gpu = builder.gpu;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The name the agent reports; empty means "the hostname". */
    public String nodeName() {
        return nodeName;
    }

    /** Host-scoped facts come from the host's views mounted into a DaemonSet pod. */
    public boolean hostViews() {
        return hostViews;
    }

    /** How long one check may take before it is reported as ERROR and abandoned. */
    public Duration checkTimeout() {
        return checkTimeout;
    }

    /** How GPUs are inventoried and judged. */
    public GpuSettings gpu() {
        return gpu;
    }

    public static final class Builder {
        private String nodeName = "";
        private boolean hostViews;
        private Duration checkTimeout = DEFAULT_CHECK_TIMEOUT;
        private GpuSettings gpu;

        private Builder() {}

        public Builder nodeName(String value) {
            this.nodeName = Objects.requireNonNull(value);
            return this;
        }

        public Builder hostViews(boolean value) {
            this.hostViews = value;
            return this;
        }

        public Builder checkTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new IllegalArgumentException("check timeout must be positive, got " + value);
            }
            this.checkTimeout = value;
            return this;
        }

        public Builder gpu(GpuSettings value) {
            this.gpu = Objects.requireNonNull(value);
            return this;
        }

        public AgentSettings build() {
            if (gpu == null) {
                gpu = GpuSettings.defaults();
            }
            return new AgentSettings(this);
        }
    }
}
