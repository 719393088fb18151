package dev.preflight.coordinator.plan;

import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Tiers;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.Measurements.EnvSetting;
import dev.preflight.proto.v1.ModelPlan;
import java.util.List;
import java.util.Locale;

/**
 * Sizes a model onto a cluster the way the multinode deployment runs it: tensor parallelism over
 * the GPUs of one node (NVLink), pipeline parallelism across as many nodes as the weights need,
 * each GPU keeping a headroom of its memory free for the KV cache, activations and the runtime.
 */
public final class Planner {
    /**
     * What the planner knows of the cluster.
     *
     * @param nodesAvailable 0 when not known
     * @param measuredTier TIER_UNSPECIFIED when no report measured it
     * @param storageReadBytesPerSecond the slowest node's read rate with every node reading; 0 when not measured
     */
    public record Cluster(int gpusPerNode, long gpuMemoryBytes, int nodesAvailable, Tier measuredTier,
            double storageReadBytesPerSecond, List<EnvSetting> recommendedEnv) {}

    private Planner() {}

    public static ModelPlan plan(Model model, Precision precision, Cluster cluster, double headroomFraction,
            Tier requiredMultinodeTier) {
        // exact or checked arithmetic throughout: a wrapped or saturated count would print "fits"
        long weightBytes = exactBytes(model.parameters() * precision.bytesPerParameter());
        long usablePerGpu = exactBytes(Math.floor(cluster.gpuMemoryBytes() * (1 - headroomFraction)));
        long usablePerNode = Math.multiplyExact(usablePerGpu, (long) cluster.gpusPerNode());
        int nodesNeeded = Math.toIntExact(Math.max(1, ceilDiv(weightBytes, usablePerNode)));
        int tp = cluster.gpusPerNode();
        int pp = nodesNeeded;
        long weightsPerGpu = ceilDiv(weightBytes, Math.multiplyExact((long) tp, (long) pp));
        boolean fitsCluster = cluster.nodesAvailable() > 0 && nodesNeeded <= cluster.nodesAvailable();
        Tier required = pp > 1 ? requiredMultinodeTier : Tier.TIER_UNSPECIFIED;

        ModelPlan.Builder plan = ModelPlan.newBuilder()
                .setModel(model.name())
                .setParameters(model.parameters())
                .setMoe(model.moe())
                .setPrecision(precision.key())
                .setBytesPerParameter(precision.bytesPerParameter())
                .setWeightBytes(weightBytes)
                .setGpusPerNode(cluster.gpusPerNode())
                .setGpuMemoryBytes(cluster.gpuMemoryBytes())
                .setHeadroomFraction(headroomFraction)
                .setUsableBytesPerGpu(usablePerGpu)
                .setFitsSingleNode(nodesNeeded == 1)
                .setNodesNeeded(nodesNeeded)
                .setNodesAvailable(cluster.nodesAvailable())
                .setFitsCluster(fitsCluster)
                .setTensorParallel(tp)
                .setPipelineParallel(pp)
                .setWeightBytesPerGpu(weightsPerGpu)
                .setFreeBytesPerGpu(cluster.gpuMemoryBytes() - weightsPerGpu)
                .setRequiredTier(required)
                .setMeasuredTier(cluster.measuredTier());
        if (cluster.storageReadBytesPerSecond() > 0) {
            // each node reads its own pipeline stage, all nodes at once
            plan.setStorageReadBytesPerSecond(cluster.storageReadBytesPerSecond())
                    .setLoadSeconds(weightBytes / (double) pp / cluster.storageReadBytesPerSecond());
        }
        plan.addLaunch(env("NIM_TENSOR_PARALLEL_SIZE", tp, "planner"))
                .addLaunch(env("NIM_PIPELINE_PARALLEL_SIZE", pp, "planner"))
                .addLaunch(env("NIM_NUM_NODES", pp, "planner"));
        if (pp > 1) {
            plan.addAllLaunch(cluster.recommendedEnv());
        }

        if (model.moe()) {
            plan.addNotes("mixture of experts: all " + formatParameters(model.parameters()) + " parameters stay resident ("
                    + formatParameters(model.activeParameters()) + " active per token)");
        }
        if (nodesNeeded > 1) {
            plan.addNotes(ByteSizes.formatDecimal(weightBytes) + " of weights exceed one node's "
                    + ByteSizes.formatDecimal(usablePerNode) + " usable (" + tp + " x " + ByteSizes.formatDecimal(usablePerGpu)
                    + " after " + percent(headroomFraction) + " headroom): pipeline parallel across " + pp + " nodes");
        }
        if (cluster.nodesAvailable() > 0 && !fitsCluster) {
            plan.addNotes("needs " + nodesNeeded + " nodes, the cluster has " + cluster.nodesAvailable());
        }
        if (required != Tier.TIER_UNSPECIFIED && cluster.measuredTier() != Tier.TIER_UNSPECIFIED
                && cluster.measuredTier().getNumber() < required.getNumber()) {
            plan.addNotes("the measured inter-node tier (" + Tiers.label(cluster.measuredTier()) + ") is below the "
                    + Tiers.label(required) + " this plan needs");
        }
        return plan.build();
    }

    /** The plan as a person reads it. */
    public static String table(ModelPlan plan, String displayName) {
        StringBuilder out = new StringBuilder();
        row(out, "model", displayName + " (" + formatParameters(plan.getParameters()) + (plan.getMoe() ? " MoE" : " dense") + ")");
        row(out, "precision", plan.getPrecision() + " (" + Policy.number(plan.getBytesPerParameter())
                + (plan.getBytesPerParameter() == 1 ? " byte" : " bytes") + " per parameter)");
        row(out, "weights", ByteSizes.formatDecimal(plan.getWeightBytes()));
        row(out, "node", plan.getGpusPerNode() + " x " + ByteSizes.formatDecimal(plan.getGpuMemoryBytes()) + " GPUs; "
                + percent(plan.getHeadroomFraction()) + " headroom leaves " + ByteSizes.formatDecimal(plan.getUsableBytesPerGpu())
                + " per GPU for weights");
        row(out, "fits one node", plan.getFitsSingleNode() ? "yes" : "no");
        row(out, "nodes needed", plan.getNodesNeeded() + (plan.getNodesAvailable() > 0
                ? " (cluster has " + plan.getNodesAvailable() + (plan.getFitsCluster() ? ": fits)" : ": does NOT fit)") : ""));
        row(out, "plan", "TP=" + plan.getTensorParallel() + " x PP=" + plan.getPipelineParallel() + " ("
                + plan.getTensorParallel() * plan.getPipelineParallel() + " GPUs)");
        row(out, "memory per GPU", ByteSizes.formatDecimal(plan.getWeightBytesPerGpu()) + " weights, "
                + ByteSizes.formatDecimal(plan.getFreeBytesPerGpu()) + " left for KV cache and activations");
        String tier = plan.getRequiredTier() == Tier.TIER_UNSPECIFIED ? "none needed (one node)"
                : Tiers.label(plan.getRequiredTier()) + " or better required";
        if (plan.getMeasuredTier() != Tier.TIER_UNSPECIFIED) {
            tier += "; measured: " + Tiers.label(plan.getMeasuredTier());
        }
        row(out, "inter-node", tier);
        row(out, "weight load", plan.getLoadSeconds() > 0
                ? String.format(Locale.ROOT, "%.0f s (%s per node at %s, all nodes reading)", plan.getLoadSeconds(),
                        ByteSizes.formatDecimal(plan.getWeightBytes() / plan.getPipelineParallel()),
                        Bandwidths.format(plan.getStorageReadBytesPerSecond()))
                : "not projected (no storage read rate measured; use --from a report)");
        for (int i = 0; i < plan.getLaunchCount(); i++) {
            EnvSetting env = plan.getLaunch(i);
            row(out, i == 0 ? "launch" : "", env.getName() + "=" + env.getValue());
        }
        for (int i = 0; i < plan.getNotesCount(); i++) {
            row(out, i == 0 ? "notes" : "", plan.getNotes(i));
        }
        return out.toString();
    }

    private static void row(StringBuilder out, String label, String value) {
        out.append(String.format(Locale.ROOT, "%-15s %s%n", label, value));
    }

    private static EnvSetting env(String name, int value, String source) {
        return EnvSetting.newBuilder().setName(name).setValue(Integer.toString(value)).setSource(source).build();
    }

    private static long ceilDiv(long a, long b) {
        if (b <= 0) {
            throw new ArithmeticException("nothing usable per GPU to divide " + a + " bytes over");
        }
        return -Math.floorDiv(-a, b);
    }

    /** A byte count computed in floating point, refused rather than clamped when a long cannot hold it. */
    private static long exactBytes(double bytes) {
        if (!(bytes >= 0) || bytes >= 0x1p63) {
            throw new ArithmeticException(bytes + " bytes is outside 0.." + Long.MAX_VALUE);
        }
        return Math.round(bytes);
    }

    private static String percent(double fraction) {
        return Policy.number(fraction * 100) + "%";
    }

    /** 70B, 46.7B, 1.2T. */
    public static String formatParameters(double parameters) {
        if (parameters >= 1e12) {
            return Policy.number(Math.round(parameters / 1e10) / 100.0) + "T";
        }
        if (parameters >= 1e9) {
            return Policy.number(Math.round(parameters / 1e8) / 10.0) + "B";
        }
        return Policy.number(Math.round(parameters / 1e5) / 10.0) + "M";
    }
}
