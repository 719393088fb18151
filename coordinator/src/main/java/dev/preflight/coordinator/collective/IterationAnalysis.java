package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.outliers.Outliers;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Measurements.IterationFinding;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.RankIterations;
import dev.preflight.proto.v1.SizeRow;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Per-iteration timing of a collective, read as nccl-tests' {@code analyze_perf_json.py} reads its
 * per-process times: <b>stragglers</b> ({@code --straggler}: each rank's mean over the timed
 * iterations; a rank whose mean exceeds the ranks' median by more than a margin is slow every
 * iteration) and <b>spikes</b> ({@code --spikes}: an iteration in which a rank took more than a
 * multiple of the median iteration; when every rank spiked it was system-wide, otherwise the
 * spiking ranks are named, as the script marks a lone one STRAGGLER; a system-wide spike is kept,
 * naming no node, since ranks of one collective wait for each other). The median stands where the
 * script takes the mean, so one long iteration does not raise its own bar. A node that flaps, slow
 * in a few iterations and fine in the rest, shows as spikes where a mean over the sweep hides it.
 */
public final class IterationAnalysis {
    /** analyze_perf_json.py's default --threshold: an iteration above 1.5 times the average. */
    public static final double SPIKE_FACTOR = 1.5;

    /**
     * @param stragglerMargin how far above the median rank mean a rank counts as a straggler (0.2: 20%)
     * @param spikeFactor how many times the median iteration time an iteration must exceed to spike
     */
    public record Settings(double stragglerMargin, double spikeFactor) {
        public Settings {
            if (stragglerMargin <= 0 || spikeFactor <= 1) {
                throw new IllegalArgumentException("iteration analysis: stragglerMargin " + stragglerMargin
                        + " must be above 0 and spikeFactor " + spikeFactor + " above 1");
            }
        }
    }

    private IterationAnalysis() {}

    /** Findings over every size of every op of a collective that carries per-iteration times (out-of-place). */
    public static List<IterationFinding> of(String phase, String communicator, List<CollectiveResult> results,
            Settings settings) {
        List<IterationFinding> findings = new ArrayList<>();
        for (CollectiveResult result : results) {
            for (SizeRow row : result.getRowsList()) {
                findings.addAll(of(phase, communicator, row.getSizeBytes(), row.getOutOfPlace(), settings));
            }
        }
        return findings;
    }

    static List<IterationFinding> of(String phase, String communicator, long bytes, Placement placement,
            Settings settings) {
        List<RankIterations> ranks = new ArrayList<>();
        for (RankIterations rank : placement.getRankIterationsList()) {
            if (rank.getIterationUsCount() > 0) {
                ranks.add(rank);
            }
        }
        if (ranks.size() < 2) {
            // one rank has nobody to straggle behind
            return List.of();
        }
        IterationFinding.Builder base = IterationFinding.newBuilder().setPhase(phase).setCommunicator(communicator)
                .setBytes(bytes);
        List<IterationFinding> findings = new ArrayList<>();
        double[] means = new double[ranks.size()];
        for (int r = 0; r < ranks.size(); r++) {
            means[r] = ranks.get(r).getIterationUsList().stream().mapToDouble(Double::doubleValue).average().orElse(0);
        }
        double medianMean = Outliers.median(means);
        for (int r = 0; r < ranks.size(); r++) {
            if (means[r] > (1 + settings.stragglerMargin()) * medianMean) {
                findings.add(base.clone().setKind(IterationFinding.Kind.STRAGGLER).addRanks(ranks.get(r).getRank())
                        .addNodes(ranks.get(r).getNode()).setIteration(-1).setTimeUs(means[r]).setMedianUs(medianMean)
                        .build());
            }
        }
        int iterations = ranks.stream().mapToInt(RankIterations::getIterationUsCount).min().orElse(0);
        // the collective's time per iteration is its slowest rank's (nccl-tests' times_us: the max over processes)
        double[] slowest = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            for (RankIterations rank : ranks) {
                slowest[i] = Math.max(slowest[i], rank.getIterationUs(i));
            }
        }
        if (iterations == 0) {
            return findings;
        }
        double median = Outliers.median(slowest);
        for (int i = 0; i < iterations; i++) {
            IterationFinding.Builder spike = base.clone().setKind(IterationFinding.Kind.SPIKE).setIteration(i)
                    .setMedianUs(median);
            Set<String> nodes = new LinkedHashSet<>();
            double worst = 0;
            for (RankIterations rank : ranks) {
                double t = rank.getIterationUs(i);
                if (t > settings.spikeFactor() * median) {
                    spike.addRanks(rank.getRank());
                    nodes.add(rank.getNode());
                    worst = Math.max(worst, t);
                }
            }
            if (spike.getRanksCount() == 0) {
                continue;
            }
            // every rank at once (they wait for each other, or share a switch): flapping, but no node to name
            if (spike.getRanksCount() < ranks.size()) {
                spike.addAllNodes(nodes);
            }
            findings.add(spike.setTimeUs(worst).build());
        }
        return findings;
    }

    /** The nodes the findings name, in first-seen order. */
    public static Set<String> nodes(List<IterationFinding> findings) {
        Set<String> nodes = new LinkedHashSet<>();
        for (IterationFinding finding : findings) {
            for (String node : finding.getNodesList()) {
                if (!node.isEmpty()) {
                    nodes.add(node);
                }
            }
        }
        return nodes;
    }
}
