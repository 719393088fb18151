package dev.preflight.coordinator.cli;

import dev.preflight.coordinator.cluster.KubernetesWrites;
import dev.preflight.coordinator.cluster.NodeStanding;
import dev.preflight.coordinator.cluster.SlurmDrain;
import dev.preflight.coordinator.cluster.Written;
import dev.preflight.proto.v1.PreflightReport;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** What the run writes back into the cluster's scheduler: nothing unless asked. */
public final class ClusterWriteOptions {
    @Spec(Spec.Target.MIXEE)
    private CommandSpec spec;

    @Option(names = "--drain-failed",
            description = "Slurm: drain every node that FAILs (scontrol update State=DRAIN) with the failed checks as the"
                    + " reason. Needs root, SlurmUser or AdminLevel Operator.")
    boolean drainFailed;

    @Option(names = "--label-nodes",
            description = "Kubernetes: label every node with its result, " + KubernetesWrites.RESULT_LABEL
                    + "=pass|warn|error|fail|unreachable, and " + KubernetesWrites.CHECKED_LABEL + "=TIME (patch on nodes).")
    boolean labelNodes;

    @Option(names = "--taint-failed",
            description = "Kubernetes: taint every node that FAILs with " + KubernetesWrites.TAINT_KEY + ", PreferNoSchedule"
                    + " the first time and NoSchedule when it fails again; a node that passes loses it (get/patch on nodes).")
    boolean taintFailed;

    @Option(names = "--summary-configmap", paramLabel = "NAME",
            description = "Kubernetes: write the verdict, the reasons and every node's result to this ConfigMap in the"
                    + " coordinator's namespace, replacing the last run's (create/get/update on configmaps).")
    String summaryConfigMap;

    /** Checked before anything runs, so a write that cannot happen is known before the bench. */
    final class Writer implements AutoCloseable {
        private final SlurmDrain drain;
        private final KubernetesClient kubernetes;

        private Writer(SlurmDrain drain, KubernetesClient kubernetes) {
            this.drain = drain;
            this.kubernetes = kubernetes;
        }

        /** Makes the writes the flags ask for; false when one of them failed (each says why on err). */
        boolean write(PreflightReport report, PrintWriter err) throws InterruptedException {
            List<NodeStanding> outcomes = NodeStanding.of(report);
            List<Written> written = new ArrayList<>();
            if (drain != null) {
                written.addAll(drain.drain(outcomes));
            }
            if (kubernetes != null) {
                KubernetesWrites writes = new KubernetesWrites(kubernetes);
                if (labelNodes) {
                    written.addAll(writes.label(outcomes, Instant.ofEpochSecond(report.getFinishedAt().getSeconds())));
                }
                if (taintFailed) {
                    written.addAll(writes.taint(outcomes));
                }
                if (summaryConfigMap != null) {
                    written.add(writes.summary(summaryConfigMap, report, outcomes));
                }
            }
            boolean ok = true;
            for (Written line : written) {
                err.println("preflight: " + line.line());
                ok &= line.ok();
            }
            err.flush();
            return ok;
        }

        @Override
        public void close() {
            if (kubernetes != null) {
                kubernetes.close();
            }
        }
    }

    Writer open() {
        if (summaryConfigMap != null && (summaryConfigMap.length() > 253
                || !summaryConfigMap.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?"))) {
            throw new ParameterException(spec.commandLine(), "--summary-configmap '" + summaryConfigMap + "': expected a"
                    + " Kubernetes object name (lower-case letters, digits, '-' and '.', at most 253)");
        }
        SlurmDrain drain = null;
        KubernetesClient kubernetes = null;
        try {
            if (drainFailed) {
                drain = SlurmDrain.find(System.getenv());
            }
            if (labelNodes || taintFailed || summaryConfigMap != null) {
                kubernetes = DiscoveryOptions.kubernetes(labelNodes ? "--label-nodes"
                        : taintFailed ? "--taint-failed" : "--summary-configmap");
            }
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        return new Writer(drain, kubernetes);
    }
}
