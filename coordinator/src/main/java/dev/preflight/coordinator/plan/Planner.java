package dev.preflight.coordinator.plan;

import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Tiers;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.LayoutOption;
import dev.preflight.proto.v1.Measurements.EnvSetting;
import dev.preflight.proto.v1.ModelArchitecture;
import dev.preflight.proto.v1.ModelPlan;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Sizes a model onto a cluster as serving engines (vLLM, SGLang, NIM) lay it out: each GPU holds
 * its share of the weights, the KV cache for the context and concurrency served, the activation
 * workspace of a prefill chunk and the CUDA graphs; the policy's headroom stays free for the CUDA
 * context, NCCL buffers and fragmentation. The smallest tensor-parallel size that fits and that
 * the engines accept (it divides the attention heads, and divides or is a multiple of the KV
 * heads) is chosen inside one node; only when no such size fits a node does pipeline parallelism
 * add nodes. For mixture-of-experts models the cross-node layout SGLang and vLLM also run, expert
 * parallelism with data-parallel attention, is weighed beside it.
 */
public final class Planner {
    /** Tokens of one chunked-prefill step, which sets the activation workspace (a common engine setting). */
    public static final int PREFILL_CHUNK_TOKENS = 8192;
    /** Activations travel in bf16 whatever the weights' precision. */
    static final int ACTIVATION_BYTES = 2;
    /** vLLM: "CUDA graphs can take additional 1~3 GiB memory per GPU"; the upper end is kept. */
    public static final long CUDA_GRAPH_BYTES = 3 * ByteSizes.GIB;
    /** MoE dispatch sends FP8 activations (1 byte), the combine returns bf16 (2): 3 bytes per token and expert. */
    static final int DISPATCH_COMBINE_BYTES = 3;
    /** Beyond this much weight nothing is planned: no cluster holds an exabyte of GPU memory. */
    static final double MAX_WEIGHT_BYTES = 1e18;

    /**
     * What the planner knows of the cluster.
     *
     * @param nodesAvailable 0 when not known
     * @param measuredTier TIER_UNSPECIFIED when no report measured it
     * @param storageReadBytesPerSecond the slowest node's read rate with every node reading; 0 when not measured
     */
    public record Cluster(int gpusPerNode, long gpuMemoryBytes, int nodesAvailable, Tier measuredTier,
            double storageReadBytesPerSecond, List<EnvSetting> recommendedEnv) {}

    /**
     * The serving load the KV cache is sized for.
     *
     * @param tensorParallel a TP size to use instead of the smallest that fits; 0 to choose
     */
    public record Load(int contextTokens, int concurrency, Precision kvPrecision, int tensorParallel) {
        public static final int DEFAULT_CONTEXT = 8192;
        public static final int DEFAULT_CONCURRENCY = 32;
        public static final Load DEFAULT = new Load(DEFAULT_CONTEXT, DEFAULT_CONCURRENCY, Precision.BF16, 0);
    }

    /** One layout's memory per GPU. */
    private record Sizing(long weights, long kv, long activations, long graphs, long total, boolean fits) {}

    private final Model model;
    private final ModelArchitecture arch;
    private final Precision precision;
    private final Cluster cluster;
    private final Load load;
    private final Policy policy;
    private final long weightBytes;
    private final long usablePerGpu;
    private final long tokens;

    private Planner(Model model, Precision precision, Cluster cluster, Load load, Policy policy) {
        this.model = model;
        this.arch = model.architecture();
        this.precision = precision;
        this.cluster = cluster;
        this.load = load;
        this.policy = policy;
        double weight = model.parameters() * precision.bytesPerParameter();
        if (!(weight <= MAX_WEIGHT_BYTES)) {
            throw new IllegalArgumentException(formatParameters(model.parameters()) + " parameters at " + precision.key()
                    + " are " + String.format(Locale.ROOT, "%.3g", weight) + " bytes of weights, beyond the 1 EB this planner sizes");
        }
        this.weightBytes = Math.round(weight);
        this.usablePerGpu = exactBytes(Math.floor(cluster.gpuMemoryBytes() * (1 - policy.headroomFraction())));
        this.tokens = Math.multiplyExact((long) load.contextTokens(), (long) load.concurrency());
    }

    /**
     * @throws IllegalArgumentException when the model is beyond planning, or the TP asked for is one
     *     engines refuse (naming the heads it does not divide)
     */
    public static ModelPlan plan(Model model, Precision precision, Cluster cluster, Load load, Policy policy) {
        try {
            return new Planner(model, precision, cluster, load, policy).plan();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(formatParameters(model.parameters()) + " parameters at "
                    + load.contextTokens() + " tokens x " + load.concurrency() + " sequences overflow the sizes this planner computes");
        }
    }

    private ModelPlan plan() {
        List<String> refused = new ArrayList<>();
        List<Integer> tps = new ArrayList<>();
        for (int t = 1; t <= cluster.gpusPerNode(); t++) {
            String why = refusal(t);
            if (why == null) {
                tps.add(t);
            } else if (cluster.gpusPerNode() % t == 0) {
                refused.add("TP=" + t + ": " + why);
            }
        }
        if (load.tensorParallel() > 0) {
            int forced = load.tensorParallel();
            String why = refusal(forced);
            if (why != null) {
                throw new IllegalArgumentException("TP " + forced + " is refused by serving engines: " + why);
            }
            if (forced > cluster.gpusPerNode()) {
                throw new IllegalArgumentException("TP " + forced + " exceeds the " + cluster.gpusPerNode()
                        + " GPUs of a node: tensor parallelism stays on NVLink inside a node");
            }
            tps = List.of(forced);
        }
        if (tps.isEmpty()) {
            throw new IllegalArgumentException("no TP size up to " + cluster.gpusPerNode() + " is accepted: " + String.join("; ", refused));
        }
        int tp = tps.get(tps.size() - 1);
        int pp = 1;
        boolean found = false;
        for (int t : tps) {
            if (size(t, 1).fits()) {
                tp = t;
                found = true;
                break;
            }
        }
        if (!found) {
            pp = stages(tp);
        }
        Sizing sizing = size(tp, pp);
        int nodesNeeded = (int) Math.max(1, ceilDiv((long) tp * pp, cluster.gpusPerNode()));
        boolean fits = sizing.fits();
        boolean fitsCluster = fits && cluster.nodesAvailable() > 0 && nodesNeeded <= cluster.nodesAvailable();

        List<LayoutOption> layouts = new ArrayList<>();
        LayoutOption chosen = tpPpLayout(tp, pp, nodesNeeded, sizing);
        layouts.add(chosen);
        if (model.moe() && arch != null && arch.getExperts() > 0) {
            layouts.add(expertParallelLayout(Math.max(2, nodesNeeded)));
        }
        Tier required = nodesNeeded > 1 ? chosen.getRequiredTier() : Tier.TIER_UNSPECIFIED;

        ModelPlan.Builder plan = ModelPlan.newBuilder()
                .setModel(model.name())
                .setParameters(model.parameters())
                .setMoe(model.moe())
                .setPrecision(precision.key())
                .setBytesPerParameter(precision.bytesPerParameter())
                .setWeightBytes(weightBytes)
                .setGpusPerNode(cluster.gpusPerNode())
                .setGpuMemoryBytes(cluster.gpuMemoryBytes())
                .setHeadroomFraction(policy.headroomFraction())
                .setUsableBytesPerGpu(usablePerGpu)
                .setFitsSingleNode(fits && nodesNeeded == 1)
                .setNodesNeeded(nodesNeeded)
                .setNodesAvailable(cluster.nodesAvailable())
                .setFitsCluster(fitsCluster)
                .setTensorParallel(tp)
                .setPipelineParallel(pp)
                .setWeightBytesPerGpu(sizing.weights())
                .setFreeBytesPerGpu(cluster.gpuMemoryBytes() - sizing.weights())
                .setRequiredTier(required)
                .setMeasuredTier(cluster.measuredTier())
                .setContextTokens(load.contextTokens())
                .setConcurrency(load.concurrency())
                .setKvPrecision(load.kvPrecision().key())
                .setKvBytesPerToken(arch == null ? 0 : kvBytesPerToken())
                .setKvBytesPerGpu(sizing.kv())
                .setActivationBytesPerGpu(sizing.activations())
                .setCudaGraphBytesPerGpu(sizing.graphs())
                .setTotalBytesPerGpu(sizing.total())
                .addAllLayouts(layouts)
                .addAllRefusedTensorParallel(refused)
                .setReplicasPerNode(pp == 1 ? cluster.gpusPerNode() / tp : 1);
        if (arch != null) {
            plan.setArchitecture(arch);
        }
        assumptions(plan);
        if (cluster.storageReadBytesPerSecond() > 0) {
            // each node reads its own pipeline stage, all nodes at once
            plan.setStorageReadBytesPerSecond(cluster.storageReadBytesPerSecond())
                    .setLoadSeconds(weightBytes / (double) nodesNeeded / cluster.storageReadBytesPerSecond());
        }
        plan.addLaunch(env("NIM_TENSOR_PARALLEL_SIZE", tp, "planner"))
                .addLaunch(env("NIM_PIPELINE_PARALLEL_SIZE", pp, "planner"))
                .addLaunch(env("NIM_NUM_NODES", nodesNeeded, "planner"));
        if (nodesNeeded > 1) {
            plan.addAllLaunch(cluster.recommendedEnv());
        }

        if (model.moe()) {
            plan.addNotes("mixture of experts: all " + formatParameters(model.parameters()) + " parameters stay resident ("
                    + formatParameters(model.activeParameters()) + " active per token)");
        }
        if (!fits) {
            plan.addNotes("does not fit at any pipeline depth: even one layer per stage needs "
                    + ByteSizes.formatDecimal(sizing.total()) + " per GPU of " + ByteSizes.formatDecimal(usablePerGpu) + " usable");
        } else if (nodesNeeded > 1) {
            plan.addNotes("no TP inside one node fits " + ByteSizes.formatDecimal(size(tp, 1).total()) + " per GPU in "
                    + ByteSizes.formatDecimal(usablePerGpu) + " usable (" + percent(policy.headroomFraction())
                    + " headroom): pipeline parallel across " + nodesNeeded + " nodes");
        } else if (tp < cluster.gpusPerNode()) {
            plan.addNotes("TP=" + tp + " is the smallest that fits: a node holds " + (cluster.gpusPerNode() / tp)
                    + " replicas (data parallel), fewer collectives per token than TP=" + cluster.gpusPerNode());
        }
        if (cluster.nodesAvailable() > 0 && fits && !fitsCluster) {
            plan.addNotes("needs " + nodesNeeded + " nodes, the cluster has " + cluster.nodesAvailable());
        }
        if (required != Tier.TIER_UNSPECIFIED && cluster.measuredTier() != Tier.TIER_UNSPECIFIED
                && cluster.measuredTier().getNumber() < required.getNumber()) {
            plan.addNotes("the measured inter-node tier (" + Tiers.label(cluster.measuredTier()) + ") is below the "
                    + Tiers.label(required) + " this plan needs");
        }
        return plan.build();
    }

    private void assumptions(ModelPlan.Builder plan) {
        if (arch == null) {
            plan.addAssumptions("architecture unknown (--params): KV cache, activations and CUDA graphs are not sized, "
                    + "only the " + percent(policy.headroomFraction()) + " headroom is kept for them; TP is not checked "
                    + "against head counts; no per-token communication can be derived (use --model)");
            return;
        }
        plan.addAssumptions("KV cache for " + load.contextTokens() + " tokens" + (load.contextTokens() == Load.DEFAULT_CONTEXT
                ? " (default)" : "") + " x " + load.concurrency() + " sequences" + (load.concurrency() == Load.DEFAULT_CONCURRENCY
                ? " (default)" : "") + " in " + load.kvPrecision().key() + (load.kvPrecision() == Load.DEFAULT.kvPrecision()
                ? " (default)" : "") + "; --context, --concurrency and --kv-precision change them");
        plan.addAssumptions("activation workspace of a " + PREFILL_CHUNK_TOKENS + "-token prefill chunk, "
                + ByteSizes.format(CUDA_GRAPH_BYTES) + " of CUDA graphs per GPU, " + percent(policy.headroomFraction())
                + " of each GPU kept free for the runtime");
        if (model.mla()) {
            plan.addAssumptions("MLA caches the compressed latent (kv_lora_rank " + arch.getKvLoraRank() + " + qk_rope_head_dim "
                    + arch.getQkRopeHeadDim() + " per layer), replicated on every GPU of a TP group");
        }
    }

    /** Why serving engines refuse this TP for the model, or null when they accept it. */
    private String refusal(int tp) {
        if (arch == null) {
            return null;
        }
        if (arch.getAttentionHeads() % tp != 0) {
            return arch.getAttentionHeads() + " attention heads are not divisible by " + tp;
        }
        int kv = arch.getKvHeads();
        if (!model.mla() && (kv >= tp ? kv % tp != 0 : tp % kv != 0)) {
            return kv + " KV heads are neither divisible by " + tp + " nor a divisor of it";
        }
        return null;
    }

    /** The fewest pipeline stages of tp GPUs that fit, or the deepest (one layer per stage) when none does. */
    private int stages(int tp) {
        if (arch == null) {
            // weights only: the stages follow from the division
            long perStage = Math.multiplyExact(usablePerGpu, (long) tp);
            return (int) Math.min(Integer.MAX_VALUE, Math.max(2, ceilDiv(weightBytes, Math.max(1, perStage))));
        }
        for (int p = 2; p <= arch.getLayers(); p++) {
            if (size(tp, p).fits()) {
                return p;
            }
        }
        return arch.getLayers();
    }

    private Sizing size(int tp, int pp) {
        long weights = ceilDiv(weightBytes, (long) tp * pp);
        long kv = arch == null ? 0 : kvPerGpu(tp, pp);
        long activations = arch == null ? 0 : activationBytes(tp);
        long graphs = arch == null ? 0 : CUDA_GRAPH_BYTES;
        long total = Math.addExact(Math.addExact(weights, kv), Math.addExact(activations, graphs));
        return new Sizing(weights, kv, activations, graphs, total, total <= usablePerGpu);
    }

    /** KV-cache bytes of one token of one sequence over all layers. */
    long kvBytesPerToken() {
        long bytes = (long) load.kvPrecision().bytesPerParameter();
        if (model.mla()) {
            return (long) arch.getLayers() * (arch.getKvLoraRank() + arch.getQkRopeHeadDim()) * bytes;
        }
        return 2L * arch.getLayers() * arch.getKvHeads() * arch.getHeadDim() * bytes;
    }

    /**
     * A GPU caches the layers of its stage; GQA heads split over the TP group (one head each when
     * TP exceeds them, as engines replicate), MLA's latent is whole on every GPU of the group.
     */
    private long kvPerGpu(int tp, int pp) {
        long layers = ceilDiv(arch.getLayers(), pp);
        long bytes = (long) load.kvPrecision().bytesPerParameter();
        long perToken = model.mla()
                ? layers * (arch.getKvLoraRank() + arch.getQkRopeHeadDim()) * bytes
                : 2L * layers * Math.max(1, arch.getKvHeads() / tp) * arch.getHeadDim() * bytes;
        return Math.multiplyExact(perToken, tokens);
    }

    /** A prefill chunk's residual, normed and attention streams (4 x hidden) and the MLP's gate and up (2 x its share). */
    private long activationBytes(int tp) {
        long perToken = 4L * arch.getHiddenSize() + 2L * arch.getIntermediateSize() / tp;
        return (long) PREFILL_CHUNK_TOKENS * perToken * ACTIVATION_BYTES;
    }

    private LayoutOption tpPpLayout(int tp, int pp, int nodes, Sizing sizing) {
        // the PP boundary ships each sequence's hidden state once per decode step
        long interNode = nodes > 1 && arch != null
                ? (long) load.concurrency() * arch.getHiddenSize() * ACTIVATION_BYTES : 0;
        LayoutOption.Builder layout = LayoutOption.newBuilder()
                .setName("TP" + tp + " x PP" + pp)
                .setTensorParallel(tp)
                .setPipelineParallel(pp)
                .setExpertParallel(1)
                .setNodes(nodes)
                .setFits(sizing.fits())
                .setWeightBytesPerGpu(sizing.weights())
                .setKvBytesPerGpu(sizing.kv())
                .setTotalBytesPerGpu(sizing.total())
                .setChosen(true)
                .setDescription(pp > 1 ? "tensor parallel on NVLink inside each node, " + (pp - 1)
                        + " pipeline hop(s) across nodes per decode step" : "tensor parallel inside one node");
        return withBandwidth(layout, nodes, interNode).build();
    }

    /**
     * Attention data-parallel over every GPU, each holding its share of the sequences and their
     * whole KV cache, experts spread over the same GPUs (SGLang's --enable-dp-attention with
     * --ep-size): the dense weights are on every GPU, each MoE layer dispatches and combines its
     * tokens across the nodes.
     */
    private LayoutOption expertParallelLayout(int nodes) {
        int ep = nodes * cluster.gpusPerNode();
        LayoutOption.Builder layout = LayoutOption.newBuilder()
                .setName("TP" + ep + " x EP" + ep + " (DP attention)")
                .setTensorParallel(ep)
                .setPipelineParallel(1)
                .setExpertParallel(ep)
                .setNodes(nodes);
        if (arch.getExperts() % ep != 0) {
            return layout.setDescription("not applicable: " + arch.getExperts() + " experts do not spread evenly over "
                    + ep + " GPUs").build();
        }
        long expertParams = (long) (arch.getMoeLayers() + arch.getMtpLayers()) * arch.getExperts() * 3L
                * arch.getHiddenSize() * arch.getMoeIntermediateSize();
        long expertBytes = Math.round(Math.min(expertParams, model.parameters()) * precision.bytesPerParameter());
        long weights = ceilDiv(expertBytes, ep) + (weightBytes - expertBytes);
        long sequencesPerGpu = ceilDiv(load.concurrency(), ep);
        long kv = Math.multiplyExact(kvBytesPerToken(), Math.multiplyExact(sequencesPerGpu, (long) load.contextTokens()));
        long total = Math.addExact(Math.addExact(weights, kv), activationBytes(1) + CUDA_GRAPH_BYTES);
        long interNode = (long) arch.getMoeLayers() * sequencesPerGpu * arch.getExpertsPerToken() * arch.getHiddenSize()
                * DISPATCH_COMBINE_BYTES * (nodes - 1) / nodes;
        layout.setFits(total <= usablePerGpu)
                .setWeightBytesPerGpu(weights)
                .setKvBytesPerGpu(kv)
                .setTotalBytesPerGpu(total)
                .setDescription((arch.getExperts() / ep) + " experts per GPU, attention and dense layers on every GPU; "
                        + 2 * arch.getMoeLayers() + " all-to-alls (dispatch, combine) across nodes per decode step");
        return withBandwidth(layout, nodes, interNode).build();
    }

    /**
     * The inter-node bandwidth that moves a step's bytes within the token budget's communication
     * share, and the tier that provides it (never below the policy's floor for any multinode plan).
     */
    private LayoutOption.Builder withBandwidth(LayoutOption.Builder layout, int nodes, long interNodeBytes) {
        if (nodes < 2) {
            return layout.setRequiredTier(Tier.TIER_UNSPECIFIED);
        }
        double needed = interNodeBytes / policy.tokenBudget().communicationSeconds();
        Tiers tiers = policy.interconnect().tiers();
        // the lowest class whose every link carries it, from the policy's floor; optimal even when it would not
        Tier tier = Tier.OPTIMAL;
        for (int t = policy.interconnect().passFrom().getNumber(); t < Tier.OPTIMAL_VALUE; t++) {
            if (tiers.lowerBound(Tier.forNumber(t)) >= needed) {
                tier = Tier.forNumber(t);
                break;
            }
        }
        return layout.setInterNodeBytesPerStep(interNodeBytes)
                .setRequiredInterNodeBytesPerSecond(needed)
                .setRequiredTier(tier);
    }

    /** The plan as a person reads it. */
    public static String table(ModelPlan plan, String displayName) {
        StringBuilder out = new StringBuilder();
        row(out, "model", displayName + " (" + formatParameters(plan.getParameters()) + (plan.getMoe() ? " MoE" : " dense") + ")");
        if (plan.hasArchitecture()) {
            ModelArchitecture a = plan.getArchitecture();
            row(out, "architecture", a.getLayers() + " layers, hidden " + a.getHiddenSize() + ", " + a.getAttentionHeads()
                    + " heads, " + (a.getKvLoraRank() > 0 ? "MLA latent " + a.getKvLoraRank() + "+" + a.getQkRopeHeadDim()
                    : a.getKvHeads() + " KV heads x " + a.getHeadDim())
                    + (a.getExperts() > 0 ? ", " + a.getExperts() + " experts (" + a.getExpertsPerToken() + " per token)" : ""));
            row(out, "source", a.getSource());
        }
        row(out, "precision", plan.getPrecision() + " (" + Policy.number(plan.getBytesPerParameter())
                + (plan.getBytesPerParameter() == 1 ? " byte" : " bytes") + " per parameter)");
        row(out, "weights", ByteSizes.formatDecimal(plan.getWeightBytes()));
        if (plan.getKvBytesPerToken() > 0) {
            row(out, "KV cache", ByteSizes.format(plan.getKvBytesPerToken()) + " per token in " + plan.getKvPrecision() + "; "
                    + plan.getContextTokens() + " tokens x " + plan.getConcurrency() + " sequences = "
                    + ByteSizes.formatDecimal(plan.getKvBytesPerToken() * plan.getContextTokens() * (long) plan.getConcurrency()));
        }
        row(out, "node", plan.getGpusPerNode() + " x " + ByteSizes.formatDecimal(plan.getGpuMemoryBytes()) + " GPUs; "
                + percent(plan.getHeadroomFraction()) + " headroom leaves " + ByteSizes.formatDecimal(plan.getUsableBytesPerGpu())
                + " usable per GPU");
        row(out, "fits one node", plan.getFitsSingleNode() ? "yes" : "no");
        row(out, "nodes needed", plan.getNodesNeeded() + (plan.getNodesAvailable() > 0
                ? " (cluster has " + plan.getNodesAvailable() + (plan.getFitsCluster() ? ": fits)" : ": does NOT fit)") : ""));
        row(out, "plan", "TP=" + plan.getTensorParallel() + " x PP=" + plan.getPipelineParallel() + " ("
                + plan.getTensorParallel() * plan.getPipelineParallel() + " GPUs"
                + (plan.getReplicasPerNode() > 1 ? ", " + plan.getReplicasPerNode() + " replicas per node" : "") + ")");
        row(out, "memory per GPU", ByteSizes.formatDecimal(plan.getWeightBytesPerGpu()) + " weights"
                + (plan.hasArchitecture() ? " + " + ByteSizes.formatDecimal(plan.getKvBytesPerGpu()) + " KV + "
                        + ByteSizes.formatDecimal(plan.getActivationBytesPerGpu()) + " activations + "
                        + ByteSizes.formatDecimal(plan.getCudaGraphBytesPerGpu()) + " CUDA graphs = "
                        + ByteSizes.formatDecimal(plan.getTotalBytesPerGpu()) + " of " + ByteSizes.formatDecimal(plan.getUsableBytesPerGpu())
                        : ", " + ByteSizes.formatDecimal(plan.getFreeBytesPerGpu()) + " left for KV cache and activations"));
        for (int i = 0; i < plan.getLayoutsCount(); i++) {
            LayoutOption l = plan.getLayouts(i);
            String needs = l.getNodes() < 2 ? "" : "; needs " + Tiers.label(l.getRequiredTier()) + ": "
                    + ByteSizes.formatDecimal(l.getInterNodeBytesPerStep()) + " per GPU per step across nodes, "
                    + Bandwidths.format(l.getRequiredInterNodeBytesPerSecond()) + " within the token budget";
            String fit = l.getTotalBytesPerGpu() == 0 ? "" : (l.getFits() ? "fits, " : "does NOT fit, ")
                    + ByteSizes.formatDecimal(l.getTotalBytesPerGpu()) + " per GPU; ";
            row(out, i == 0 ? "layouts" : "", l.getName() + " on " + l.getNodes() + " node(s)" + (l.getChosen() ? " [chosen]" : "")
                    + ": " + fit + l.getDescription() + needs);
        }
        String tier = plan.getRequiredTier() == Tier.TIER_UNSPECIFIED ? "none needed (one node)"
                : Tiers.label(plan.getRequiredTier()) + " or better required";
        if (plan.getMeasuredTier() != Tier.TIER_UNSPECIFIED) {
            tier += "; measured: " + Tiers.label(plan.getMeasuredTier());
        }
        row(out, "inter-node", tier);
        row(out, "weight load", plan.getLoadSeconds() > 0
                ? String.format(Locale.ROOT, "%.0f s (%s per node at %s, all nodes reading)", plan.getLoadSeconds(),
                        ByteSizes.formatDecimal(plan.getWeightBytes() / plan.getNodesNeeded()),
                        Bandwidths.format(plan.getStorageReadBytesPerSecond()))
                : "not projected (no storage read rate measured; use --from a report)");
        for (int i = 0; i < plan.getLaunchCount(); i++) {
            EnvSetting env = plan.getLaunch(i);
            row(out, i == 0 ? "launch" : "", env.getName() + "=" + env.getValue());
        }
        for (int i = 0; i < plan.getRefusedTensorParallelCount(); i++) {
            row(out, i == 0 ? "refused" : "", plan.getRefusedTensorParallel(i));
        }
        for (int i = 0; i < plan.getAssumptionsCount(); i++) {
            row(out, i == 0 ? "assumptions" : "", plan.getAssumptions(i));
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
