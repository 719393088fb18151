package dev.preflight.coordinator.cli;

import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.check.Thresholds;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The agent's node-check settings: host views, model stores, the storage read, threshold overrides. */
public final class NodeCheckOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--host-views",
            description = "Host-scoped facts come from the host's views (DaemonSet: host /proc mounted as --procfs): "
                    + "<procfs>/1/net for interfaces and addresses, <procfs>/1/limits beside the agent's own; "
                    + "process-scoped results then describe the agent's pod and do not count.")
    boolean hostViews;

    @Option(names = "--model-store", paramLabel = "PATH",
            description = "A model store to check (repeatable; absolute path, read under --rootfs). Default: /models if present.")
    List<Path> modelStores = new ArrayList<>();

    @Option(names = "--storage-read-bytes", paramLabel = "SIZE", converter = ByteSizeConverter.ZeroAllowed.class,
            description = "How much the on-demand sequential read of the model store reads (default: 1GiB; 0 turns it off).")
    Long storageReadBytes;

    @Option(names = "--threshold", paramLabel = "NAME=VALUE",
            description = "Override a named threshold (repeatable); 'preflight checks thresholds' lists them.")
    Map<String, String> thresholds = new LinkedHashMap<>();

    boolean anyGiven() {
        return hostViews || !modelStores.isEmpty() || storageReadBytes != null || !thresholds.isEmpty();
    }

    /** The settings with these options applied; a bad value is a usage error naming the flag. */
    CheckSettings.Builder apply(CheckSettings.Builder builder) {
        builder.hostViews(hostViews);
        try {
            builder.modelStores(modelStores);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--model-store: " + e.getMessage());
        }
        if (storageReadBytes != null) {
            builder.storageReadBytes(storageReadBytes);
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (Map.Entry<String, String> threshold : thresholds.entrySet()) {
            try {
                values.put(threshold.getKey(), Double.parseDouble(threshold.getValue()));
            } catch (NumberFormatException e) {
                throw new ParameterException(spec.commandLine(), "--threshold " + threshold.getKey() + "=" + threshold.getValue()
                        + ": '" + threshold.getValue() + "' is not a number");
            }
        }
        try {
            builder.thresholds(Thresholds.of(values, Checks.thresholds()));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--threshold: " + e.getMessage());
        }
        return builder;
    }
}
