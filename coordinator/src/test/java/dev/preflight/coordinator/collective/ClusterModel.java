package dev.preflight.coordinator.collective;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A modelled cluster for the fault-isolation logic: N nodes of G GPUs, each node's NIC at a line
 * rate, and injected faults of each shape. A group's all-to-all is modelled as every node
 * exchanging with every other at once, each node's NIC shared by its peers' flows: a slow node
 * slows every group it is in by its factor; a link at fraction f of line rate between two nodes
 * caps their flow, which bounds the group once f (n - 1) < 1 for a group of n nodes (in a large
 * group the one flow is a small share of each NIC); a broken node makes any group with it fail;
 * an intermittent node fails a group with a given probability (seeded, so runs repeat); a node
 * failing for a while fails the first groups it is in, then no more; a scripted node fails the
 * groups it is told to; an intermittently slow node slows a group by its factor with a given
 * probability. Jitter scales every group's
 * rate by a log-normal factor (load noise on a shared fabric).
 */
final class ClusterModel implements Bisection.Probe {
    private final List<String> nodes = new ArrayList<>();
    private final double lineRate;
    private final Map<String, Double> slowNodes = new HashMap<>();
    private final Map<Set<String>, Double> slowLinks = new HashMap<>();
    private final Set<String> broken = new java.util.HashSet<>();
    private final Map<String, Double> intermittent = new HashMap<>();
    /** Per node, how often it runs slow, and at what fraction of its rate then. */
    private final Map<String, double[]> intermittentlySlow = new HashMap<>();
    private final Map<String, Integer> failingFor = new HashMap<>();
    /** Per node, which of the groups it is in fail (counting from 1), and how many groups it has been in. */
    private final Map<String, Set<Integer>> failingIn = new HashMap<>();
    private final Map<String, Integer> groupsSeen = new HashMap<>();
    private double jitter;
    private final Random random;
    private final List<List<Bisection.Group>> rounds = new ArrayList<>();
    private final List<List<Double>> rates = new ArrayList<>();

    ClusterModel(int n, double lineRate, long seed) {
        for (int i = 1; i <= n; i++) {
            nodes.add(name(i));
        }
        this.lineRate = lineRate;
        this.random = new Random(seed);
    }

    static String name(int i) {
        return "node-" + i;
    }

    List<String> nodes() {
        return nodes;
    }

    ClusterModel slowNode(String node, double factor) {
        slowNodes.put(node, factor);
        return this;
    }

    ClusterModel slowLink(String a, String b, double fraction) {
        slowLinks.put(Set.of(a, b), fraction);
        return this;
    }

    ClusterModel brokenNode(String node) {
        broken.add(node);
        return this;
    }

    ClusterModel intermittentNode(String node, double failureProbability) {
        intermittent.put(node, failureProbability);
        return this;
    }

    /** Slows a group it is in to {@code factor} of its rate with the given probability (seeded). */
    ClusterModel intermittentlySlowNode(String node, double probability, double factor) {
        intermittentlySlow.put(node, new double[] {probability, factor});
        return this;
    }

    /** Fails the first {@code groups} groups it is in, then passes. */
    ClusterModel failingFor(String node, int groups) {
        failingFor.put(node, groups);
        return this;
    }

    /** Fails the given groups it is in (the first is 1), passes every other: a fault on a script. */
    ClusterModel failingIn(String node, Integer... groups) {
        failingIn.put(node, Set.of(groups));
        return this;
    }

    /** Every group's rate times exp(sigma z), z standard normal. */
    ClusterModel jitter(double sigma) {
        this.jitter = sigma;
        return this;
    }

    /** The groups of every round measured so far. */
    List<List<Bisection.Group>> rounds() {
        return rounds;
    }

    /** The rates each round's groups measured (0: failed), as {@link #rounds()}. */
    List<List<Double>> rates() {
        return rates;
    }

    /** The modelled per-node rate of an all-to-all over these nodes, 0 when it fails. */
    double rate(List<String> group) {
        int n = group.size();
        double factor = 1;
        for (String node : group) {
            if (broken.contains(node)) {
                return 0;
            }
            Double p = intermittent.get(node);
            if (p != null && random.nextDouble() < p) {
                return 0;
            }
            Set<Integer> scripted = failingIn.get(node);
            if (scripted != null && scripted.contains(groupsSeen.merge(node, 1, Integer::sum))) {
                return 0;
            }
            Integer left = failingFor.get(node);
            if (left != null) {
                failingFor.put(node, left - 1);
                if (left > 0) {
                    return 0;
                }
            }
            factor = Math.min(factor, slowNodes.getOrDefault(node, 1.0));
            double[] sometimes = intermittentlySlow.get(node);
            if (sometimes != null && random.nextDouble() < sometimes[0]) {
                factor = Math.min(factor, sometimes[1]);
            }
        }
        for (Map.Entry<Set<String>, Double> link : slowLinks.entrySet()) {
            if (group.containsAll(link.getKey())) {
                factor = Math.min(factor, Math.min(1, link.getValue() * (n - 1)));
            }
        }
        return lineRate * factor * (jitter > 0 ? Math.exp(jitter * random.nextGaussian()) : 1);
    }

    @Override
    public List<Bisection.Result> round(List<Bisection.Group> groups) {
        Set<String> seen = new java.util.HashSet<>();
        for (Bisection.Group group : groups) {
            for (String node : group.nodes()) {
                if (!seen.add(node)) {
                    throw new AssertionError("node " + node + " in two groups of one round: " + groups);
                }
            }
        }
        rounds.add(List.copyOf(groups));
        List<Double> measured = new ArrayList<>();
        rates.add(measured);
        List<Bisection.Result> results = new ArrayList<>();
        for (Bisection.Group group : groups) {
            double rate = rate(group.nodes());
            measured.add(rate);
            results.add(rate == 0 ? Bisection.Result.failed("TIMEOUT") : Bisection.Result.measured(rate, rate + " B/s"));
        }
        return results;
    }
}
