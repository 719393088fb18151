package dev.preflight.coordinator.plan;

import dev.preflight.coordinator.collective.InferencePhase;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.units.Micros;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.LayoutOption;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.ModelArchitecture;
import dev.preflight.proto.v1.ModelPlan;
import dev.preflight.proto.v1.PlanEvidence;
import dev.preflight.proto.v1.PlanEvidence.CollectiveCost;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a plan's communication costs per decode step on the measured cluster. A decode step runs
 * every layer once for every sequence in the batch, so each sequence waits one step per output
 * token: per step, each TP stage all-reduces twice per layer (after attention and after the MLP),
 * each pipeline boundary hands the hidden states on once, and an expert-parallel layout runs a
 * dispatch and a combine all-to-all per MoE layer. Each op's time is the measured CUDA-graph mean
 * (engines launch decode steps as graphs), else the per-op p50. Compute is not modelled, nor the
 * overlap of communication with it; the step is judged against the policy's token budget.
 */
public final class PlanCost {
    public static final String FIT_ID = "plan.fit";
    public static final String COMMUNICATION_ID = "plan.communication";

    /** The evidence for the report and the cluster checks that carry its verdict. */
    public record Assessment(PlanEvidence evidence, List<CheckResult> checks) {}

    private PlanCost() {}

    /** The message sizes the plan's decode step moves: hidden state of every sequence, and each rank's MoE dispatch. */
    public static long decodeBytes(ModelPlan plan) {
        return (long) plan.getArchitecture().getHiddenSize() * plan.getConcurrency() * Planner.ACTIVATION_BYTES;
    }

    /**
     * The expert-parallel layout's all-to-all buffer per rank (bf16, as the bench moves it): its
     * sequences' tokens to each of their experts, rounded so it splits evenly over the ranks; 0 when
     * the plan weighs no applicable expert-parallel layout.
     */
    public static long dispatchBytes(ModelPlan plan, int ranks) {
        ModelArchitecture a = plan.getArchitecture();
        if (expertLayout(plan) == null || ranks < 2) {
            return 0;
        }
        long sequences = (plan.getConcurrency() + ranks - 1) / ranks;
        long bytes = sequences * a.getExpertsPerToken() * a.getHiddenSize() * Planner.ACTIVATION_BYTES;
        long unit = (long) ranks * Planner.ACTIVATION_BYTES;
        return (bytes + unit - 1) / unit * unit;
    }

    private static LayoutOption expertLayout(ModelPlan plan) {
        for (LayoutOption layout : plan.getLayoutsList()) {
            if (layout.getExpertParallel() > 1 && layout.getTotalBytesPerGpu() > 0) {
                return layout;
            }
        }
        return null;
    }

    /**
     * @param displayName how the verdict names the model ("DeepSeek-R1")
     * @param latency the run's latency rows; those of the inference phase carry the labels it finds
     * @param nodesInRun nodes that could bench
     */
    public static Assessment evaluate(ModelPlan plan, String displayName, List<LatencyResult> latency, int nodesInRun,
            Policy.TokenBudget budget) {
        PlanEvidence.Builder evidence = PlanEvidence.newBuilder()
                .setLayout("TP" + plan.getTensorParallel() + " x PP" + plan.getPipelineParallel())
                .setInterTokenLatencyUs(budget.interTokenLatencySeconds() * 1e6)
                .setCommunicationShare(budget.communicationShare());
        boolean memoryFits = plan.getTotalBytesPerGpu() > 0 ? plan.getTotalBytesPerGpu() <= plan.getUsableBytesPerGpu()
                : plan.getWeightBytesPerGpu() <= plan.getUsableBytesPerGpu();
        boolean nodesFit = plan.getNodesNeeded() <= nodesInRun;
        evidence.setFits(memoryFits && nodesFit);
        List<CheckResult> checks = new ArrayList<>();
        String name = displayName + " " + plan.getPrecision().toUpperCase(Locale.ROOT) + ", " + evidence.getLayout();
        String fit = fitText(plan, memoryFits);
        checks.add(fitCheck(plan, name, fit, memoryFits, nodesFit, nodesInRun));

        if (!plan.hasArchitecture()) {
            evidence.setSummary(name + ": " + fit + "; communication not derived: the architecture is unknown (--params)");
            checks.add(skip("the architecture is unknown (--params): no layer count to multiply the measured ops by"));
            return new Assessment(evidence.build(), checks);
        }
        ModelArchitecture a = plan.getArchitecture();
        long decode = decodeBytes(plan);
        int pp = plan.getPipelineParallel();
        Set<String> nodes = new LinkedHashSet<>();
        double step = 0;
        int stagesFound = 0;
        int hopsFound = 0;
        CollectiveCost slowestHop = null;
        for (String label : labels(latency)) {
            LatencyResult row = nearest(latency, label, decode);
            if (label.startsWith(InferencePhase.TP_LABEL)) {
                int stage = Integer.parseInt(label.substring(InferencePhase.TP_LABEL.length()).split(" ")[0]);
                int perStep = plan.getTensorParallel() > 1 ? 2 * layersOfStage(a.getLayers(), pp, stage) : 0;
                CollectiveCost cost = cost("tp_all_reduce", row, perStep);
                evidence.addCosts(cost);
                nodes.addAll(row.getNodesList());
                step += cost.getStepUs();
                stagesFound++;
            } else if (label.startsWith(InferencePhase.PP_LABEL)) {
                CollectiveCost cost = cost("pp_send_recv", row, 1);
                evidence.addCosts(cost);
                step += cost.getStepUs();
                hopsFound++;
                if (slowestHop == null || cost.getP99Us() > slowestHop.getP99Us()) {
                    slowestHop = cost;
                }
            } else if (label.startsWith(InferencePhase.EP_LABEL)) {
                CollectiveCost cost = cost("ep_all_to_all", row, 2 * a.getMoeLayers());
                evidence.addAlternativeCosts(cost).setAlternativeStepUs(cost.getStepUs());
                LayoutOption ep = expertLayout(plan);
                evidence.setAlternativeLayout(ep == null ? EP_FALLBACK : ep.getName());
            }
        }
        evidence.addAllNodes(nodes);
        if (stagesFound < pp || hopsFound < pp - 1) {
            String why = "the inference phase measured " + stagesFound + " of " + pp + " TP stage(s) and " + hopsFound + " of "
                    + (pp - 1) + " PP hop(s) of " + evidence.getLayout() + " (see its phase outcome)";
            evidence.setSummary(name + ": " + fit + "; communication not measured: " + why);
            checks.add(skip(why));
            return new Assessment(evidence.build(), checks);
        }
        double allowed = budget.communicationSeconds() * 1e6;
        boolean within = step <= allowed;
        evidence.setStepUs(step)
                .setPerOutputTokenUs(step / plan.getConcurrency())
                .setWithinBudget(within);
        String summary = name + " on " + String.join(", ", nodes) + ": " + fit + "; communication " + Micros.format(step)
                + " per token (" + percent(step / (budget.interTokenLatencySeconds() * 1e6)) + " of a "
                + Micros.format(budget.interTokenLatencySeconds() * 1e6) + " budget, "
                + percent(budget.communicationShare()) + " allowed)";
        if (slowestHop != null) {
            summary += "; the PP hop " + String.join("→", slowestHop.getNodesList()) + " measured "
                    + Micros.format(slowestHop.getP99Us()) + " p99";
        }
        String suggestion = suggestion(plan, memoryFits, within, evidence.getAlternativeStepUs(), allowed);
        evidence.setSuggestion(suggestion).setSummary(summary);
        checks.add(CheckResult.newBuilder().setId(COMMUNICATION_ID).setScope(Scope.HOST)
                .setStatus(within ? Status.PASS : Status.FAIL)
                .setSummary(summary + (within || suggestion.isEmpty() ? "" : "; " + suggestion))
                .setObserved(Micros.format(step) + " of communication per decode step")
                .setExpected("at most " + Micros.format(allowed) + " (" + budget.describe() + ")")
                .setThreshold("tokenBudget: " + budget.describe())
                .setRemediation(within ? "" : suggestion.isEmpty()
                        ? "fix the slowest collective above (its link or NVLink) or raise tokenBudget in the policy" : suggestion)
                .build());
        return new Assessment(evidence.build(), checks);
    }

    private static final String EP_FALLBACK = "expert parallel";

    private static String fitText(ModelPlan plan, boolean memoryFits) {
        long used = plan.getTotalBytesPerGpu() > 0 ? plan.getTotalBytesPerGpu() : plan.getWeightBytesPerGpu();
        return (memoryFits ? "fits (" : "does NOT fit (") + ByteSizes.format(used) + " of " + ByteSizes.format(plan.getGpuMemoryBytes())
                + " per GPU" + (plan.getContextTokens() > 0 ? " at " + tokens(plan.getContextTokens()) + " context x "
                + plan.getConcurrency() + " sequences" : "") + ")";
    }

    private static CheckResult fitCheck(ModelPlan plan, String name, String fit, boolean memoryFits, boolean nodesFit,
            int nodesInRun) {
        CheckResult.Builder check = CheckResult.newBuilder().setId(FIT_ID).setScope(Scope.HOST)
                .setObserved(fit + ", " + plan.getNodesNeeded() + " node(s) needed, " + nodesInRun + " benched")
                .setExpected("weights, KV cache, activations and CUDA graphs within " + ByteSizes.format(plan.getUsableBytesPerGpu())
                        + " per GPU, on the nodes of this run");
        if (memoryFits && nodesFit) {
            return check.setStatus(Status.PASS).setSummary(name + ": " + fit).build();
        }
        String why = !memoryFits ? fit : "needs " + plan.getNodesNeeded() + " nodes, this run benched " + nodesInRun;
        String other = fittingAlternative(plan);
        return check.setStatus(Status.FAIL).setSummary(name + ": " + why + (other.isEmpty() ? "" : "; " + other))
                .setRemediation(other.isEmpty() ? "add nodes, GPUs with more memory, or serve less context or fewer sequences"
                        : other)
                .build();
    }

    private static String fittingAlternative(ModelPlan plan) {
        for (LayoutOption layout : plan.getLayoutsList()) {
            if (!layout.getChosen() && layout.getFits()) {
                return layout.getName() + " on " + layout.getNodes() + " nodes would fit (" + ByteSizes.format(layout.getTotalBytesPerGpu())
                        + " per GPU)";
            }
        }
        return "";
    }

    private static String suggestion(ModelPlan plan, boolean memoryFits, boolean within, double alternativeStep,
            double allowed) {
        if (memoryFits && within) {
            return "";
        }
        LayoutOption ep = expertLayout(plan);
        if (!within && ep != null && ep.getFits() && alternativeStep > 0 && alternativeStep <= allowed) {
            return ep.getName() + " would fit: its all-to-alls measured " + Micros.format(alternativeStep) + " per step";
        }
        if (!memoryFits) {
            return fittingAlternative(plan);
        }
        return "";
    }

    private static CheckResult skip(String why) {
        return CheckResult.newBuilder().setId(COMMUNICATION_ID).setScope(Scope.HOST).setStatus(Status.SKIP)
                .setSummary("plan communication not judged: " + why).build();
    }

    private static CollectiveCost cost(String collective, LatencyResult row, int perStep) {
        boolean graphs = row.getGraphMeanUs() > 0;
        double op = graphs ? row.getGraphMeanUs() : row.getP50Us();
        return CollectiveCost.newBuilder()
                .setCollective(collective)
                .addAllNodes(row.getNodesList())
                .setBytes(row.getBytes())
                .setRanks(row.getRanks())
                .setPerStep(perStep)
                .setOpUs(op)
                .setStatistic(graphs ? "CUDA-graph mean" : "per-op p50")
                .setP99Us(row.getP99Us())
                .setStepUs(op * perStep)
                .setMeasurement(row.getLabel())
                .build();
    }

    /** Layers of stage s when an engine splits them as evenly as it can, the first stages taking the remainder. */
    static int layersOfStage(int layers, int stages, int stage) {
        return layers / stages + (stage < layers % stages ? 1 : 0);
    }

    private static List<String> labels(List<LatencyResult> latency) {
        Set<String> labels = new LinkedHashSet<>();
        for (LatencyResult row : latency) {
            if (!row.getLabel().isEmpty()) {
                labels.add(row.getLabel());
            }
        }
        return new ArrayList<>(labels);
    }

    /** A communicator's row at the size nearest the plan's message (one row when the phase measured the plan's sizes). */
    private static LatencyResult nearest(List<LatencyResult> latency, String label, long bytes) {
        LatencyResult best = null;
        for (LatencyResult row : latency) {
            if (row.getLabel().equals(label) && (best == null
                    || Math.abs(row.getBytes() - bytes) < Math.abs(best.getBytes() - bytes))) {
                best = row;
            }
        }
        return best;
    }

    private static String tokens(int count) {
        return count % 1024 == 0 ? count / 1024 + "k" : Integer.toString(count);
    }

    private static String percent(double fraction) {
        return Policy.number(Math.round(fraction * 1000) / 10.0) + "%";
    }
}
