package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.outliers.Outliers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Names the node behind slow communicators. A communicator's bandwidth is its slowest link's, so
 * a bad node drags every communicator it is in; a node's own figure is therefore taken over the
 * communicators it shares with others: the best of them (a node with one fast partner is healthy)
 * or their median (most of its partners agree). A low outlier among the nodes' figures (median and
 * MAD) is the suspect.
 */
public final class NodeOutliers {
    public enum Aggregate {
        /** The node's best communicator: right for ring neighbours, where a healthy node has one healthy partner. */
        BEST,
        /** The median of its communicators: right for all pairs, where most partners are healthy. */
        MEDIAN
    }

    /** The suspects and the threshold they fell below. */
    public record Suspects(Map<String, Double> values, Set<String> nodes, double threshold, double median) {}

    private NodeOutliers() {}

    /** Each node's figure over the completed communicators it is in, in first-seen order. */
    public static Map<String, Double> perNode(List<CommRun> outcomes, Aggregate aggregate) {
        Map<String, List<Double>> byNode = new LinkedHashMap<>();
        for (CommRun outcome : outcomes) {
            OptionalDouble value = outcome.busbw();
            if (value.isEmpty()) {
                continue;
            }
            for (String node : outcome.comm().nodeNames()) {
                byNode.computeIfAbsent(node, k -> new ArrayList<>()).add(value.getAsDouble());
            }
        }
        Map<String, Double> figures = new LinkedHashMap<>();
        byNode.forEach((node, values) -> {
            double[] array = values.stream().mapToDouble(Double::doubleValue).toArray();
            figures.put(node, aggregate == Aggregate.BEST
                    ? values.stream().mapToDouble(Double::doubleValue).max().orElse(0)
                    : Outliers.median(array));
        });
        return figures;
    }

    public static Suspects suspects(List<CommRun> outcomes, Aggregate aggregate, Outliers.Settings settings) {
        Map<String, Double> values = perNode(outcomes, aggregate);
        if (values.isEmpty()) {
            return new Suspects(values, Set.of(), 0, 0);
        }
        double[] all = values.values().stream().mapToDouble(Double::doubleValue).toArray();
        return new Suspects(values, new LinkedHashSet<>(Outliers.low(values, settings)),
                Outliers.lowThreshold(all, settings), Outliers.median(all));
    }

    /** The communicators of the suspects whose own figure is below the threshold: the measurements to repeat. */
    public static List<CommRun> measurementsOf(List<CommRun> outcomes, Suspects suspects) {
        List<CommRun> low = new ArrayList<>();
        for (CommRun outcome : outcomes) {
            OptionalDouble value = outcome.busbw();
            if (value.isPresent() && value.getAsDouble() < suspects.threshold()
                    && outcome.comm().nodeNames().stream().anyMatch(suspects.nodes()::contains)) {
                low.add(outcome);
            }
        }
        return low;
    }
}
