package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.outliers.Outliers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds the node or link behind a collective that failed or ran slow, in O(log N) rounds, as
 * NVIDIA's Cluster Readiness Engine isolates faults: the suspects are halved and every half
 * measured, the disjoint groups of a round at once (so a round costs one collective's time, as
 * nccl-tests' NCCL_TESTS_SPLIT runs several groups in one launch); a failing half is halved again.
 * When both halves pass though their union failed, the fault lies only between them (a bad link
 * between two healthy nodes, a misconfigured spine): the cross-boundary stage measures quarters of
 * one half against quarters of the other until one node pair is left. Every culprit is then
 * confirmed against nodes already measured healthy, which also tells a bad node from a bad link
 * and a node that fails only now and then.
 *
 * <p>A group is measured with every member exchanging with every other (all-to-all), so it shows a
 * bad link whenever it holds both of its ends, whatever ring or tree NCCL builds. A group is bad
 * when its collective fails, or when its rate is below {@code 1 - slowFraction} of its round's
 * reference ({@link #reference}). This logic runs no collective itself: a {@link Probe}
 * does (the bench phases' runner, or the scale model's modelled cluster).
 */
public final class Bisection {
    /** A group to measure: its nodes in rank order, and why. */
    public record Group(List<String> nodes, String purpose) {
        public Group {
            nodes = List.copyOf(nodes);
        }
    }

    /**
     * What measuring a group gave.
     *
     * @param failed the collective hung, errored or returned wrong data
     * @param rate a figure comparable between groups of any size (bytes per second each node moved
     *     to the others); 0 when failed
     * @param detail one line of what was seen ("TIMEOUT in ncclAllToAll", "1.2 GB/s")
     */
    public record Result(boolean failed, double rate, String detail) {
        public static Result failed(String detail) {
            return new Result(true, 0, detail);
        }

        public static Result measured(double rate, String detail) {
            return new Result(false, rate, detail);
        }
    }

    /** Runs the groups of one round at once (they share no node) and returns their results in order. */
    public interface Probe {
        List<Result> round(List<Group> groups);
    }

    /** One group of a round, what it gave, and whether it counted as bad. */
    public record Measured(Group group, Result result, boolean bad) {}

    /** One round: its stage (bisect, cross-boundary, confirm) and every group measured in it. */
    public record Round(int number, List<Measured> groups) {}

    public enum Kind {
        NODE, LINK,
        /** Nodes the isolation could not tell apart (no healthy node to measure them against, or a fault that did not show again). */
        GROUP
    }

    /**
     * A culprit: a node, a link (two nodes), or a group it could not separate.
     *
     * @param intermittent it failed in some of its measurements and passed in others
     * @param evidence the rounds and groups that named it
     */
    public record Culprit(Kind kind, List<String> nodes, boolean intermittent, String evidence) {
        public Culprit {
            nodes = List.copyOf(nodes);
        }

        public String name() {
            return kind == Kind.LINK ? "link " + String.join("~", nodes)
                    : kind == Kind.NODE ? "node " + nodes.get(0) : "nodes " + String.join(", ", nodes);
        }
    }

    /**
     * What a bisection concluded: the culprits it named, the rounds that led there, whether it finished.
     *
     * @param rounds every round run, in order
     * @param complete false when the round limit ended it with suspects still open
     */
    public record Conclusion(List<Culprit> culprits, List<Round> rounds, boolean complete) {}

    private final List<String> suspects;
    private final Set<String> good = new LinkedHashSet<>();
    private final double slowFraction;
    private final int maxRounds;
    /** The rates of every group judged healthy so far, for rounds of one group. */
    private final List<Double> healthyRates = new ArrayList<>();

    /**
     * @param suspects the nodes of the collective that failed or ran slow, in its rank order
     * @param knownGood nodes measured healthy elsewhere, to pair suspects with
     * @param slowFraction how far below its round's reference a group counts as slow (0.2: below 80%)
     * @param maxRounds the most rounds to run (the time budget's share)
     */
    public Bisection(List<String> suspects, List<String> knownGood, double slowFraction, int maxRounds) {
        if (slowFraction <= 0 || slowFraction >= 1) {
            throw new IllegalArgumentException("slowFraction " + slowFraction + ": expected above 0 and below 1");
        }
        this.suspects = List.copyOf(suspects);
        this.good.addAll(knownGood);
        this.good.removeAll(suspects);
        this.slowFraction = slowFraction;
        this.maxRounds = maxRounds;
    }

    /** The most rounds a single fault among n nodes can take: 2 log2 n + 2. */
    public static int roundBound(int n) {
        return 2 * (32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1))) + 2;
    }

    /** An open line of inquiry; each proposes the groups of its next round and reads their results. */
    private abstract static class Inquiry {
        final List<String> evidence = new ArrayList<>();

        /** The nodes its own groups use, kept from being handed out as another group's partner. */
        abstract Set<String> subjects();

        /** Groups for this round, taking healthy partners from the pool; empty to wait a round. */
        abstract List<Group> propose(Partners partners);

        /** Reads the results of the groups it proposed; returns what replaces it (possibly nothing). */
        abstract List<Inquiry> read(List<Measured> results, List<Culprit> culprits);

        /** What it names when no healthy partner can ever be found for it. */
        abstract Culprit unresolved();

        Inquiry withEvidence(List<String> history) {
            evidence.addAll(history);
            return this;
        }

        String evidenceText() {
            return String.join("; ", evidence);
        }
    }

    /** Healthy nodes handed out as partners, each at most once per round. */
    private static final class Partners {
        private final List<String> free;

        Partners(Set<String> good, Set<String> claimed) {
            this.free = new ArrayList<>(good);
            this.free.removeAll(claimed);
        }

        /** A healthy node not yet used this round, other than those given; null when none is left. */
        String take(Set<String> avoid) {
            for (int i = 0; i < free.size(); i++) {
                if (!avoid.contains(free.get(i))) {
                    return free.remove(i);
                }
            }
            return null;
        }
    }

    public Conclusion run(Probe probe) {
        List<Culprit> culprits = new ArrayList<>();
        List<Round> rounds = new ArrayList<>();
        List<Inquiry> open = new ArrayList<>();
        open.add(new Search(suspects).withEvidence(List.of("the collective over " + suspects.size() + " nodes was bad")));
        while (!open.isEmpty() && rounds.size() < maxRounds) {
            Set<String> claimed = new LinkedHashSet<>();
            for (Inquiry inquiry : open) {
                claimed.addAll(inquiry.subjects());
            }
            Partners partners = new Partners(good, claimed);
            Map<Inquiry, List<Group>> proposed = new LinkedHashMap<>();
            List<Group> groups = new ArrayList<>();
            for (Inquiry inquiry : open) {
                List<Group> mine = inquiry.propose(partners);
                proposed.put(inquiry, mine);
                groups.addAll(mine);
            }
            if (groups.isEmpty()) {
                // every inquiry waits for a healthy partner that no later round can provide
                for (Inquiry inquiry : open) {
                    culprits.add(inquiry.unresolved());
                }
                open = List.of();
                break;
            }
            List<Result> results = probe.round(groups);
            if (results.size() != groups.size()) {
                throw new IllegalStateException(groups.size() + " groups measured, " + results.size() + " results");
            }
            double reference = reference(results);
            int number = rounds.size() + 1;
            List<Measured> measured = new ArrayList<>();
            for (int i = 0; i < groups.size(); i++) {
                Result result = results.get(i);
                boolean bad = result.failed() || result.rate() < (1 - slowFraction) * reference;
                measured.add(new Measured(groups.get(i), result, bad));
                if (!bad) {
                    healthyRates.add(result.rate());
                }
            }
            rounds.add(new Round(number, measured));
            List<Inquiry> next = new ArrayList<>();
            int at = 0;
            for (Map.Entry<Inquiry, List<Group>> entry : proposed.entrySet()) {
                int count = entry.getValue().size();
                if (count == 0) {
                    next.add(entry.getKey());
                    continue;
                }
                List<Measured> mine = measured.subList(at, at + count);
                at += count;
                for (Measured m : mine) {
                    entry.getKey().evidence.add("round " + number + ": " + describe(m));
                }
                next.addAll(entry.getKey().read(mine, culprits));
            }
            open = next;
        }
        return new Conclusion(narrowIntermittent(culprits, rounds), rounds, open.isEmpty());
    }

    /**
     * A fault that did not show again leaves a group named; a node that fails only now and then is
     * in every group that failed, so where the bad groups' common nodes are fewer, they are named
     * instead: one node, or two as their link. Where no group was ever bad, nothing is named.
     */
    private static List<Culprit> narrowIntermittent(List<Culprit> culprits, List<Round> rounds) {
        List<Culprit> narrowed = new ArrayList<>();
        for (Culprit culprit : culprits) {
            Set<String> common = null;
            int bad = 0;
            for (Round round : rounds) {
                for (Measured m : round.groups()) {
                    if (m.bad()) {
                        bad++;
                        if (common == null) {
                            common = new LinkedHashSet<>(m.group().nodes());
                        } else {
                            common.retainAll(m.group().nodes());
                        }
                    }
                }
            }
            if (culprit.kind() == Kind.GROUP && culprit.intermittent() && bad == 0) {
                // no group ever measured bad: what started the isolation did not show in any probe
                continue;
            }
            if (culprit.kind() != Kind.GROUP || !culprit.intermittent() || common == null || common.isEmpty()
                    || common.size() >= culprit.nodes().size() || common.size() > 2) {
                narrowed.add(culprit);
                continue;
            }
            Kind kind = common.size() == 1 ? Kind.NODE : Kind.LINK;
            narrowed.add(new Culprit(kind, List.copyOf(common), true, culprit.evidence() + "; the " + bad
                    + " bad group(s) all held " + String.join(" and ", common)));
        }
        return narrowed;
    }

    /**
     * What a round's groups are judged against: with two or more groups measured, the best of them
     * (they ran at the same time, under the same load on a shared fabric); a lone group, against
     * the median of the groups judged healthy so far (the best of them all may come from a quiet
     * moment).
     */
    private double reference(List<Result> results) {
        double best = 0;
        int measured = 0;
        for (Result result : results) {
            if (!result.failed()) {
                best = Math.max(best, result.rate());
                measured++;
            }
        }
        if (measured >= 2 || healthyRates.isEmpty()) {
            return best;
        }
        return Outliers.median(healthyRates.stream().mapToDouble(Double::doubleValue).toArray());
    }

    static String describe(Measured m) {
        return String.join("+", m.group().nodes()) + " " + (m.bad() ? "bad" : "good") + " (" + m.result().detail() + ")";
    }

    private static List<String> firstHalf(List<String> nodes) {
        return nodes.subList(0, (nodes.size() + 1) / 2);
    }

    private static List<String> secondHalf(List<String> nodes) {
        return nodes.subList((nodes.size() + 1) / 2, nodes.size());
    }

    /** A set of nodes bad as a whole: each half measured on its own, a lone node with a healthy partner. */
    private final class Search extends Inquiry {
        final List<String> nodes;
        final List<List<String>> halves = new ArrayList<>();
        final List<String> partnersUsed = new ArrayList<>();

        Search(List<String> nodes) {
            this.nodes = List.copyOf(nodes);
        }

        @Override
        Set<String> subjects() {
            return new LinkedHashSet<>(nodes);
        }

        @Override
        List<Group> propose(Partners partners) {
            halves.clear();
            partnersUsed.clear();
            List<Group> groups = new ArrayList<>();
            for (List<String> half : List.of(firstHalf(nodes), secondHalf(nodes))) {
                String partner = half.size() == 1 ? partners.take(subjects()) : null;
                if (half.size() > 1 || partner != null) {
                    halves.add(half);
                    partnersUsed.add(partner);
                    List<String> members = new ArrayList<>(half);
                    if (partner != null) {
                        members.add(partner);
                    }
                    groups.add(new Group(members, "bisect " + nodes.size() + " suspects"));
                }
            }
            return groups;
        }

        @Override
        List<Inquiry> read(List<Measured> results, List<Culprit> culprits) {
            List<Inquiry> next = new ArrayList<>();
            List<List<String>> cleared = new ArrayList<>();
            for (int k = 0; k < halves.size(); k++) {
                List<String> half = halves.get(k);
                if (!results.get(k).bad()) {
                    good.addAll(half);
                    cleared.add(half);
                } else if (half.size() == 1) {
                    next.add(new Confirm(half.get(0), partnersUsed.get(k), List.of()).withEvidence(evidence));
                } else {
                    next.add(new Search(half).withEvidence(evidence));
                }
            }
            if (!next.isEmpty()) {
                return next;
            }
            if (halves.size() == 2) {
                // both halves healthy on their own, bad together: the fault lies between them
                return List.of(new Cross(halves.get(0), halves.get(1)).withEvidence(evidence));
            }
            // one half measured and healthy; the other, a lone node, had no partner: it or its links to the rest
            List<String> rest = new ArrayList<>(nodes);
            rest.removeAll(cleared.get(0));
            return List.of(new Confirm(rest.get(0), null, cleared.get(0)).withEvidence(evidence));
        }

        @Override
        Culprit unresolved() {
            return new Culprit(Kind.GROUP, nodes, false, evidenceText() + "; no healthy node to measure them against");
        }
    }

    /**
     * A node that was bad in a group: measured with a healthy node it has not been with. Bad again:
     * the node. Healthy: the first partner again, where bad means the link between them; else the
     * node failed once and passed since.
     */
    private final class Confirm extends Inquiry {
        final String node;
        final String firstPartner;
        /** Without a first partner: the rest of the group it was bad in (a link to one of them is the other explanation). */
        final List<String> rest;
        boolean recheck;

        Confirm(String node, String firstPartner, List<String> rest) {
            this.node = node;
            this.firstPartner = firstPartner;
            this.rest = List.copyOf(rest);
        }

        @Override
        Set<String> subjects() {
            Set<String> subjects = new LinkedHashSet<>(List.of(node));
            if (recheck) {
                subjects.add(firstPartner);
            }
            return subjects;
        }

        @Override
        List<Group> propose(Partners partners) {
            if (recheck) {
                return List.of(new Group(List.of(node, firstPartner), "recheck " + node + " with " + firstPartner));
            }
            Set<String> avoid = new LinkedHashSet<>(List.of(node));
            if (firstPartner != null) {
                avoid.add(firstPartner);
            }
            String partner = partners.take(avoid);
            return partner == null ? List.of()
                    : List.of(new Group(List.of(node, partner), "confirm " + node + " with healthy " + partner));
        }

        @Override
        List<Inquiry> read(List<Measured> results, List<Culprit> culprits) {
            boolean bad = results.get(0).bad();
            if (!recheck) {
                if (bad) {
                    culprits.add(new Culprit(Kind.NODE, List.of(node), false, evidenceText()));
                    return List.of();
                }
                if (firstPartner != null) {
                    recheck = true;
                    return List.of(this);
                }
                if (!rest.isEmpty()) {
                    return List.of(new Cross(rest, List.of(node)).withEvidence(evidence));
                }
                culprits.add(new Culprit(Kind.NODE, List.of(node), true, evidenceText()
                        + "; passed with a healthy node: intermittent"));
                return List.of();
            }
            if (bad) {
                culprits.add(new Culprit(Kind.LINK, List.of(node, firstPartner), false, evidenceText()));
            } else {
                culprits.add(new Culprit(Kind.NODE, List.of(node), true, evidenceText()
                        + "; passed with healthy nodes since: intermittent"));
            }
            return List.of();
        }

        @Override
        Culprit unresolved() {
            return new Culprit(Kind.NODE, List.of(node), false, evidenceText()
                    + "; not confirmed: no other healthy node to measure it against");
        }
    }

    /**
     * Two sets, each healthy on its own, bad together: a link from one to the other. Quarters are
     * measured across the diagonal (a1+b1 and a2+b2 at once, then a1+b2 and a2+b1), the bad one
     * narrowed further, down to one pair, which is measured alone to confirm it.
     */
    private final class Cross extends Inquiry {
        final List<String> a;
        final List<String> b;
        /** Which diagonal this round measures: false a1+b1, a2+b2; true a1+b2, a2+b1. */
        boolean otherDiagonal;
        final List<List<List<String>>> tried = new ArrayList<>();

        Cross(List<String> a, List<String> b) {
            this.a = List.copyOf(a);
            this.b = List.copyOf(b);
        }

        @Override
        Set<String> subjects() {
            Set<String> subjects = new LinkedHashSet<>(a);
            subjects.addAll(b);
            return subjects;
        }

        @Override
        List<Group> propose(Partners partners) {
            if (a.size() == 1 && b.size() == 1) {
                return List.of(new Group(List.of(a.get(0), b.get(0)), "confirm link " + a.get(0) + "~" + b.get(0)));
            }
            List<List<String>> sidesA = List.of(firstHalf(a), secondHalf(a));
            List<List<String>> sidesB = otherDiagonal ? List.of(secondHalf(b), firstHalf(b))
                    : List.of(firstHalf(b), secondHalf(b));
            tried.clear();
            List<Group> groups = new ArrayList<>();
            for (int k = 0; k < 2; k++) {
                List<String> x = sidesA.get(k);
                List<String> y = sidesB.get(k);
                if (x.isEmpty() || y.isEmpty()) {
                    continue;
                }
                tried.add(List.of(x, y));
                List<String> members = new ArrayList<>(x);
                members.addAll(y);
                groups.add(new Group(members, "cross-boundary " + a.size() + "x" + b.size()));
            }
            return groups;
        }

        @Override
        List<Inquiry> read(List<Measured> results, List<Culprit> culprits) {
            if (a.size() == 1 && b.size() == 1) {
                boolean bad = results.get(0).bad();
                culprits.add(new Culprit(Kind.LINK, List.of(a.get(0), b.get(0)), !bad, evidenceText()
                        + (bad ? "" : "; passed when measured alone: intermittent")));
                return List.of();
            }
            List<Inquiry> next = new ArrayList<>();
            for (int k = 0; k < results.size(); k++) {
                if (results.get(k).bad()) {
                    next.add(new Cross(tried.get(k).get(0), tried.get(k).get(1)).withEvidence(evidence));
                }
            }
            if (!next.isEmpty()) {
                return next;
            }
            if (tried.size() == 1) {
                // one side was a single node: the untried quarter is the only place left, its pair confirms it
                List<String> x = a.size() == 1 ? a : secondHalf(a);
                List<String> y = a.size() == 1 ? (otherDiagonal ? firstHalf(b) : secondHalf(b)) : b;
                return List.of(new Cross(x, y).withEvidence(evidence));
            }
            if (!otherDiagonal) {
                otherDiagonal = true;
                return List.of(this);
            }
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            culprits.add(new Culprit(Kind.GROUP, all, true, evidenceText()
                    + "; the fault between these halves did not show again: intermittent"));
            return List.of();
        }

        @Override
        Culprit unresolved() {
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            return new Culprit(Kind.GROUP, all, false, evidenceText());
        }
    }
}
