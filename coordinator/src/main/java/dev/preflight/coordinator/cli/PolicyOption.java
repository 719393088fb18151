package dev.preflight.coordinator.cli;

import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.PolicyException;
import dev.preflight.coordinator.score.PolicyFile;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** --policy FILE: the scoring policy, the built-in defaults with the file's values laid over them. */
public final class PolicyOption {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--policy", paramLabel = "FILE",
            description = {"Scoring policy YAML overriding any built-in threshold (see 'preflight policy show'). "
                    + "Bandwidths need a unit: 25GB/s (bytes) or 200Gb/s (bits), GB = 10^9 bytes, GiB = 2^30 bytes."})
    Path file;

    /** The effective policy; a bad file is a usage error naming the file, key and value. */
    Policy load() {
        if (file == null) {
            return Policy.defaults();
        }
        try {
            return PolicyFile.load(file);
        } catch (PolicyException e) {
            throw new ParameterException(spec.commandLine(), "--policy " + e.getMessage());
        }
    }
}
