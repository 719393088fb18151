package dev.preflight.coordinator.cli;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.bench.WorkerSettings;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.hostfs.HostFs;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options of an agent this process runs: `preflight agent`'s, and `preflight run`'s embedded
 * agent's. One group, so both commands take the same flags, judge them the same way, and build the
 * agent's settings in one place.
 */
public final class AgentOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Mixin
    HostFsOptions hostFs;

    @Mixin
    GpuOptions gpu;

    @Mixin
    NodeCheckOptions nodeChecks;

    @Mixin
    BenchLibraryOptions libraries;

    /**
     * Refuses these options, and --node-name, on a run whose agents are remote: each remote agent
     * takes its own (preflight agent ...).
     */
    void rejectForRemoteAgents(String nodeName) {
        if (hostFs.anyGiven() || nodeName != null || nodeChecks.anyGiven()) {
            throw usage("--procfs/--sysfs/--devfs/--rootfs/--node-name/--host-views/--model-store/--storage-read-bytes/--threshold "
                    + "apply to the embedded agent only; give them to each remote agent (preflight agent ...)");
        }
        if (libraries.anyGiven()) {
            throw usage("--cudart-lib/--nccl-lib/--bench-lock-dir/--bench-dir apply to the embedded agent only; "
                    + "give them to each remote agent (preflight agent ...)");
        }
        if (gpu.anyGiven()) {
            throw usage("GPU options (--expect-gpus, --allow-mig, --nvidia-smi, ...) apply to the embedded agent only; "
                    + "give them to each remote agent (preflight agent ...)");
        }
    }

    /** The host roots the agent reads, each checked to be a directory. */
    HostFs hostFs() {
        return hostFs.toHostFs();
    }

    /**
     * The agent's settings from these options, each value checked (a bad one is a usage error
     * naming the flag), as a builder for what the command adds; the node name is the hostname when
     * null, and a check timeout not given keeps the checks' default.
     */
    AgentSettings.Builder settings(String nodeName, Optional<Duration> checkTimeout) {
        CheckSettings.Builder checks = nodeChecks.apply(CheckSettings.builder().gpu(gpu.limits()));
        checkTimeout.ifPresent(checks::checkTimeout);
        return AgentSettings.builder()
                .nodeName(nodeName == null ? "" : nodeName)
                .gpuSources(gpu.sources())
                .checks(checks.build())
                .worker(libraries.apply(WorkerSettings.builder()).build());
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
