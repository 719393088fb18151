package dev.preflight.coordinator.collective;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The GPUs of one model instance laid out as an engine lays out TP x PP: the first tp x pp GPUs in
 * node-major order, tensor-parallel groups of tp consecutive GPUs, each group a pipeline stage.
 * Pipeline boundaries pair the i-th GPU of stage s with the i-th GPU of stage s+1, which send the
 * activations forward.
 */
public final class InferenceLayout {
    /** One GPU of the instance: a node and the position of the GPU among that node's GPUs. */
    record Gpu(BenchNode node, int local) {}

    private final int tp;
    private final int pp;
    private final List<List<Gpu>> stages;

    private InferenceLayout(int tp, int pp, List<List<Gpu>> stages) {
        this.tp = tp;
        this.pp = pp;
        this.stages = stages;
    }

    /**
     * @param tp 0: the smallest node's GPU count (the planner keeps TP inside a node)
     * @param pp 0: one stage per node
     * @throws IllegalArgumentException when the layout needs more GPUs than the nodes have
     */
    public static InferenceLayout of(List<BenchNode> nodes, int tp, int pp) {
        int t = tp > 0 ? tp : nodes.stream().mapToInt(BenchNode::gpuCount).min().orElse(0);
        int p = pp > 0 ? pp : nodes.size();
        List<Gpu> gpus = new ArrayList<>();
        for (BenchNode node : nodes) {
            for (int local = 0; local < node.gpuCount(); local++) {
                gpus.add(new Gpu(node, local));
            }
        }
        if (t < 1 || p < 1 || (long) t * p > gpus.size()) {
            throw new IllegalArgumentException("TP " + t + " x PP " + p + " needs " + (long) t * p + " GPUs; the "
                    + nodes.size() + " benched node(s) have " + gpus.size());
        }
        List<List<Gpu>> stages = new ArrayList<>();
        for (int s = 0; s < p; s++) {
            stages.add(List.copyOf(gpus.subList(s * t, (s + 1) * t)));
        }
        return new InferenceLayout(t, p, stages);
    }

    public int tp() {
        return tp;
    }

    public int pp() {
        return pp;
    }

    /** The members holding a stage's TP group, node-major. */
    public List<Member> stage(int s) {
        return members(stages.get(s));
    }

    /** Every GPU of the instance, node-major: an expert-parallel group spans them all. */
    public List<Member> instance() {
        List<Gpu> gpus = new ArrayList<>();
        stages.forEach(gpus::addAll);
        return members(gpus);
    }

    /** The members of the boundary between stage s and s+1: both stages' GPUs, node-major. */
    public List<Member> boundary(int s) {
        List<Gpu> gpus = new ArrayList<>(stages.get(s));
        gpus.addAll(stages.get(s + 1));
        gpus.sort((x, y) -> x.node().index() != y.node().index() ? Integer.compare(x.node().index(), y.node().index())
                : Integer.compare(x.local(), y.local()));
        return members(gpus);
    }

    /**
     * The boundary's send/recv pairs as global ranks of {@link #boundary}'s communicator: the i-th
     * GPU of stage s sends to the i-th GPU of stage s+1.
     */
    public List<int[]> boundaryPairs(int s) {
        List<Member> members = boundary(s);
        RankLayout layout = RankLayout.of(members);
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i < tp; i++) {
            pairs.add(new int[] {rank(members, layout, stages.get(s).get(i)), rank(members, layout, stages.get(s + 1).get(i))});
        }
        return pairs;
    }

    private static int rank(List<Member> members, RankLayout layout, Gpu gpu) {
        for (int m = 0; m < members.size(); m++) {
            Member member = members.get(m);
            if (member.node().index() == gpu.node().index()) {
                return layout.rank(m, member.gpus().indexOf(gpu.node().gpus().get(gpu.local())));
            }
        }
        throw new IllegalStateException("GPU " + gpu + " is not in the boundary");
    }

    private static List<Member> members(List<Gpu> gpus) {
        Map<Integer, List<Integer>> byNode = new LinkedHashMap<>();
        Map<Integer, BenchNode> nodes = new LinkedHashMap<>();
        for (Gpu gpu : gpus) {
            byNode.computeIfAbsent(gpu.node().index(), k -> new ArrayList<>()).add(gpu.node().gpus().get(gpu.local()));
            nodes.put(gpu.node().index(), gpu.node());
        }
        List<Member> members = new ArrayList<>();
        byNode.forEach((index, devices) -> members.add(new Member(nodes.get(index), devices)));
        return members;
    }
}
