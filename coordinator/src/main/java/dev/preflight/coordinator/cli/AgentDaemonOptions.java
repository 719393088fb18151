package dev.preflight.coordinator.cli;

import dev.preflight.agent.net.HostPort;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The agent as a node daemon: metrics, health for probes, checks on a timer, node labels. */
public final class AgentDaemonOptions {
    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", converter = HostPortConverter.Listen.class,
            description = "Serve Prometheus /metrics and /healthz over HTTP here (default: off). Read-only.")
    HostPort metricsListen;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "5m", converter = DurationConverter.class,
            description = "How often host-scoped checks re-run for /metrics and --nfd-features-file (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--nfd-features-file", paramLabel = "FILE",
            description = "Write node labels (preflight.<check>=<status>, preflight.healthy) to this node-feature-discovery"
                    + " features.d file after each round.")
    Path nfdFeaturesFile;

    /** Whether the periodic checks have anywhere to report to. */
    boolean periodic() {
        return metricsListen != null || nfdFeaturesFile != null;
    }
}
