package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.outliers.Outliers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Finds the node or link behind a collective that failed or ran slow, in O(log N) rounds, as
 * NVIDIA's Cluster Readiness Engine isolates faults: the suspects are halved and every half
 * measured, the disjoint groups of a round at once (so a round costs one collective's time, as
 * nccl-tests' NCCL_TESTS_SPLIT runs several groups in one launch); a failing half is halved again.
 * When both halves pass though their union failed, the fault lies only between them (a bad link
 * between two healthy nodes, a misconfigured spine): the cross-boundary stage measures quarters of
 * one half against quarters of the other until one node pair is left.
 *
 * <p>Every culprit is then confirmed: {@link #CONFIRMATIONS} rounds measure it with nodes already
 * measured healthy (a node with a healthy partner, a link as its two ends alone) beside a control
 * pair of two healthy nodes. Reproduced in every round (the control pair healthy), it is named;
 * in some, it is named intermittent; in none, it is reported unconfirmed, not named. The first
 * confirmation of a node also tells a bad node from a bad link: a node that passes with a healthy
 * partner is measured again with the partner it was bad with.
 *
 * <p>A node failing now and then passes some groups by luck, so a pass clears a group only beside
 * one of its round that failed; a set whose fault stopped showing is searched again until it has
 * not shown in {@link #QUIET_ROUNDS} rounds in a row, and a culprit that passed a round before and
 * reproduces in no confirmation round is given as many again. A fault that always shows never
 * passes a group it is in, so none of this adds to its bound ({@link #roundBound}).
 *
 * <p>A group is measured with every member exchanging with every other (all-to-all), so it shows a
 * bad link whenever it holds both of its ends, whatever ring or tree NCCL builds. A group is bad
 * when its collective fails, or when its rate is below its round's reference ({@link #reference})
 * by more than the slow fraction and by more than the noise floor ({@link #slowBelow}): the
 * spread of healthy groups measured side by side, so ordinary load noise names nobody. This logic
 * runs no collective itself: a {@link Probe} does (the bench phases' runner, or the scale model's
 * modelled cluster).
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

    /**
     * One group of a round, what it gave, and whether it counted as bad.
     *
     * @param share its rate as a fraction of its round's reference ({@link #reference}); 0 when it failed
     */
    public record Measured(Group group, Result result, boolean bad, double share) {}

    /**
     * One round: every group measured in it (bisect, cross-boundary, confirm, control).
     *
     * @param slowBelow the fraction of the round's reference below which a group counted as slow
     */
    public record Round(int number, List<Measured> groups, double slowBelow) {}

    public enum Kind {
        NODE, LINK,
        /**
         * Nodes the isolation could not tell apart: named where no healthy node was left to measure
         * them against; unconfirmed where the fault between them did not show again.
         */
        GROUP
    }

    /**
     * A culprit: a node, a link (two nodes), or a group it could not separate.
     *
     * @param intermittent it reproduced the fault in some of its confirmation rounds, not in all
     * @param evidence the rounds and groups that named it, and its confirmation rounds' tally
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
     * @param unconfirmed what the bisection pointed at but no confirmation round reproduced: not named
     * @param rounds every round run, in order
     * @param complete false when the round limit ended it with suspects still open
     */
    public record Conclusion(List<Culprit> culprits, List<Culprit> unconfirmed, List<Round> rounds, boolean complete) {}

    /**
     * How many rounds confirm a culprit. Three tells a fault that always shows from one that shows
     * now and then (a node failing half its collectives reproduces in all three one time in eight)
     * and keeps a link among 2^k nodes within the bound of 2k + 2 rounds.
     */
    public static final int CONFIRMATIONS = 3;
    /**
     * How many rounds in a row a suspect set's fault may not show before it is given up: three
     * searches over it (its halves, then both diagonals of its quarters, so every node and every
     * pair of nodes is measured in each), as a node failing half its collectives passes three rounds
     * in a row one time in eight, nine one time in 512. A trigger that nothing reproduces costs these
     * rounds before nobody is named.
     */
    public static final int QUIET_ROUNDS = 9;
    /** How many standard deviations of the healthy groups' spread a group must fall below to be slow. */
    public static final double DEFAULT_NOISE_SIGMAS = 3.5;

    private final List<String> suspects;
    private final Set<String> good = new LinkedHashSet<>();
    private final double slowFraction;
    private final double noiseSigmas;
    private final int maxRounds;
    /** The rates of every group judged healthy so far, for rounds of one group. */
    private final List<Double> healthyRates = new ArrayList<>();
    /** Whether any group measured so far was bad: where none was, nothing reproduced the trigger. */
    private boolean anyBad;
    /**
     * The noise floor's pool: squared deviations of healthy groups' log rates from their round's
     * mean, and their degrees of freedom (a round with m healthy groups adds m - 1). Within a round,
     * so a fabric-wide change between rounds is not taken for noise.
     */
    private double noiseSquares;
    private int noiseDegrees;

    /**
     * @param suspects the nodes of the collective that failed or ran slow, in its rank order
     * @param knownGood nodes measured healthy elsewhere, to pair suspects with
     * @param slowFraction how far below its round's reference a group counts as slow (0.2: below 80%)
     * @param noiseSigmas how many standard deviations of the healthy groups' spread it must also be below
     * @param maxRounds the most rounds to run (the time budget's share)
     */
    public Bisection(List<String> suspects, List<String> knownGood, double slowFraction, double noiseSigmas,
            int maxRounds) {
        if (slowFraction <= 0 || slowFraction >= 1) {
            throw new IllegalArgumentException("slowFraction " + slowFraction + ": expected above 0 and below 1");
        }
        if (noiseSigmas <= 0) {
            throw new IllegalArgumentException("noiseSigmas " + noiseSigmas + ": expected above 0");
        }
        this.suspects = List.copyOf(suspects);
        this.good.addAll(knownGood);
        this.good.removeAll(suspects);
        this.slowFraction = slowFraction;
        this.noiseSigmas = noiseSigmas;
        this.maxRounds = maxRounds;
    }

    /** With the default noise floor ({@link #DEFAULT_NOISE_SIGMAS}). */
    public Bisection(List<String> suspects, List<String> knownGood, double slowFraction, int maxRounds) {
        this(suspects, knownGood, slowFraction, DEFAULT_NOISE_SIGMAS, maxRounds);
    }

    /**
     * The most rounds one fault that always shows, among n nodes, can take, its confirmation
     * included: 2 log2 n + 2 (a fault showing now and then can take more).
     */
    public static int roundBound(int n) {
        return 2 * (32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1))) + 2;
    }

    /**
     * The most rounds an isolation among n nodes is given, a fault that shows only now and then
     * included: the bound of one that always shows ({@link #roundBound}), one run of
     * {@link #QUIET_ROUNDS} in which it does not show, and its confirmation's extra rounds and its
     * two ends measured apart ({@link #CONFIRMATIONS} each).
     */
    public static int roundLimit(int n) {
        return roundBound(n) + QUIET_ROUNDS + 2 * CONFIRMATIONS;
    }

    /** An open line of inquiry; each proposes the groups of its next round and reads their results. */
    private abstract static class Inquiry {
        final List<String> evidence = new ArrayList<>();
        /** Rounds in a row, up to the last one read, in which none of this line's groups was bad. */
        int quiet;
        /**
         * The fault this line follows stopped showing once already (both diagonals passed): it
         * fails only now and then, so a pass proves less and confirmation may take more rounds.
         */
        boolean flapping;
        /**
         * A round of this line's search passed though the set it measured was bad before (both
         * halves, or both groups of a diagonal): a fault across them, or one that passed by luck. A
         * culprit that then reproduces in no confirmation round is given more (a fault that always
         * shows never gets there, so its bound holds).
         */
        boolean passedOnce;

        /** Carries on the line it comes from: how long its fault has not shown, whether it passed or stopped. */
        void after(Inquiry from) {
            quiet = from.quiet;
            flapping |= from.flapping;
            passedOnce |= from.passedOnce;
        }

        /** The nodes its own groups use, kept from being handed out as another group's partner. */
        abstract Set<String> subjects();

        /** Groups for this round, taking healthy partners from the pool; empty to wait a round. */
        abstract List<Group> propose(Partners partners);

        /** Reads the results of the groups it proposed; returns what replaces it (possibly nothing). */
        abstract List<Inquiry> read(List<Measured> results, Findings findings);

        /** What it concludes when no healthy partner can be found for it in any later round. */
        abstract void unresolved(Findings findings);

        Inquiry withEvidence(List<String> history) {
            evidence.addAll(history);
            return this;
        }

        String evidenceText() {
            return String.join("; ", evidence);
        }
    }


    /** What the inquiries concluded so far: named culprits, and what did not reproduce. */
    private static final class Findings {
        final List<Culprit> culprits = new ArrayList<>();
        final List<Culprit> unconfirmed = new ArrayList<>();
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

        /** Two healthy nodes not yet used this round, as a control pair; null when fewer are left. */
        List<String> pair() {
            if (free.size() < 2) {
                return null;
            }
            return List.of(free.remove(0), free.remove(0));
        }
    }

    public Conclusion run(Probe probe) {
        Findings findings = new Findings();
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
                break;
            }
            List<Result> results = probe.round(groups);
            if (results.size() != groups.size()) {
                throw new IllegalStateException(groups.size() + " groups measured, " + results.size() + " results");
            }
            double reference = reference(results);
            double slowBelow = slowBelow();
            int number = rounds.size() + 1;
            List<Measured> measured = new ArrayList<>();
            for (int i = 0; i < groups.size(); i++) {
                Result result = results.get(i);
                double share = result.failed() ? 0 : reference > 0 ? result.rate() / reference : 1;
                boolean bad = result.failed() || share < slowBelow;
                measured.add(new Measured(groups.get(i), result, bad, share));
                if (bad) {
                    anyBad = true;
                } else {
                    healthyRates.add(result.rate());
                }
            }
            addToNoiseFloor(measured);
            rounds.add(new Round(number, measured, slowBelow));
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
                Inquiry inquiry = entry.getKey();
                for (Measured m : mine) {
                    inquiry.evidence.add("round " + number + ": " + describe(m));
                }
                inquiry.quiet = mine.stream().anyMatch(Measured::bad) ? 0 : inquiry.quiet + 1;
                for (Inquiry child : inquiry.read(mine, findings)) {
                    if (child != inquiry) {
                        child.after(inquiry);
                    }
                    next.add(child);
                }
            }
            open = next;
        }
        boolean complete = open.isEmpty() || rounds.size() < maxRounds;
        for (Inquiry inquiry : open) {
            if (complete) {
                inquiry.unresolved(findings);
            } else if (inquiry instanceof Confirmation confirmation && confirmation.measured > 0) {
                // the round limit came mid-confirmation: what the rounds so far showed is reported
                confirmation.conclude(findings, " before the round limit ended the confirmation");
            } else if (inquiry instanceof Ends ends) {
                ends.link.conclude(findings, " before the round limit ended measuring its ends apart");
            }
        }
        return new Conclusion(findings.culprits, findings.unconfirmed, rounds, complete);
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

    /**
     * The fraction of the reference below which a group is slow: below by the slow fraction, and
     * by the noise floor, whichever is further. The floor is noiseSigmas standard deviations of
     * the log-rate difference of two healthy groups (sqrt 2 times one group's spread), on a log
     * scale because load noise scales a rate by a factor. Before two healthy groups have been
     * measured side by side there is no spread to judge by, and the slow fraction alone counts.
     */
    private double slowBelow() {
        double fixed = 1 - slowFraction;
        if (noiseDegrees == 0) {
            return fixed;
        }
        double spread = Math.sqrt(noiseSquares / noiseDegrees);
        return Math.min(fixed, Math.exp(-noiseSigmas * Math.sqrt(2) * spread));
    }

    /**
     * Whether a bad group was bad beyond doubt: it failed, or ran below the slow line by the slow
     * fraction again (below 60% of its round's reference where 20% is slow), or below half the
     * slow line where that is higher (a fraction above a third: 20% where 60% is slow, where
     * "again" would leave little or nothing). A fault seen only now and then is named on such
     * evidence alone: a group just past the slow line in one round of several is what load noise
     * does to a healthy group now and then, and naming it would page someone for nothing.
     */
    private boolean clearly(Measured m) {
        double below = Math.max(1 - 2 * slowFraction, (1 - slowFraction) / 2);
        return m.bad() && (m.result().failed() || m.share() < below);
    }

    /** The healthy groups of a round, measured side by side, into the noise floor's pool. */
    private void addToNoiseFloor(List<Measured> round) {
        List<Double> logs = new ArrayList<>();
        for (Measured m : round) {
            if (!m.bad() && m.result().rate() > 0) {
                logs.add(Math.log(m.result().rate()));
            }
        }
        if (logs.size() < 2) {
            return;
        }
        double mean = logs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        for (double log : logs) {
            noiseSquares += (log - mean) * (log - mean);
        }
        noiseDegrees += logs.size() - 1;
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

    /** Two sets healthy on their own, bad together: narrowed by the cross-boundary stage, down to one pair to confirm. */
    private Inquiry between(List<String> a, List<String> b, List<String> evidence) {
        if (a.size() == 1 && b.size() == 1) {
            return new Confirmation(Kind.LINK, List.of(a.get(0), b.get(0)), null).withEvidence(evidence);
        }
        return new Cross(a, b).withEvidence(evidence);
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
        List<Inquiry> read(List<Measured> results, Findings findings) {
            List<Inquiry> next = new ArrayList<>();
            List<List<String>> cleared = new ArrayList<>();
            // a pass clears a half only beside a half that failed, or where it leaves one node to blame:
            // where both pass, the fault lies between them or a node failing now and then passed by luck
            boolean clears = halves.size() == 1 || results.stream().anyMatch(Measured::bad);
            for (int k = 0; k < halves.size(); k++) {
                List<String> half = halves.get(k);
                if (!results.get(k).bad()) {
                    if (clears) {
                        good.addAll(half);
                    }
                    cleared.add(half);
                } else if (half.size() == 1) {
                    next.add(nodeOrLink(half.get(0), partnersUsed.get(k), List.of()));
                } else {
                    next.add(new Search(half).withEvidence(evidence));
                }
            }
            if (!next.isEmpty()) {
                return next;
            }
            if (halves.size() == 2) {
                // both halves healthy on their own, bad together: the fault lies between them
                passedOnce = true;
                return List.of(between(halves.get(0), halves.get(1), evidence));
            }
            // one half measured and healthy; the other, a lone node, had no partner: it or its links to the rest
            List<String> rest = new ArrayList<>(nodes);
            rest.removeAll(cleared.get(0));
            return List.of(nodeOrLink(rest.get(0), null, cleared.get(0)));
        }

        /**
         * A lone node that was bad (with a partner) or is all that is left: confirmed as a node;
         * where its first confirmation does not reproduce, the link to the partner it was bad with
         * (or to the rest of its group) is the other explanation, and is measured next.
         */
        private Inquiry nodeOrLink(String node, String firstPartner, List<String> rest) {
            Confirmation asNode = new Confirmation(Kind.NODE, List.of(node), firstPartner);
            if (firstPartner != null) {
                asNode.otherwise = () -> {
                    Confirmation asLink = new Confirmation(Kind.LINK, List.of(node, firstPartner), null);
                    // the link did not reproduce either: the node's own confirmations go on
                    asLink.otherwise = () -> {
                        asNode.evidence.clear();
                        return asNode.withEvidence(asLink.evidence);
                    };
                    return asLink.withEvidence(asNode.evidence);
                };
            } else if (!rest.isEmpty()) {
                asNode.otherwise = () -> between(rest, List.of(node), asNode.evidence);
            }
            return asNode.withEvidence(evidence);
        }

        @Override
        void unresolved(Findings findings) {
            findings.culprits.add(new Culprit(Kind.GROUP, nodes, false, evidenceText()
                    + "; no healthy node to measure them against"));
        }
    }

    /**
     * A culprit being confirmed: {@link #CONFIRMATIONS} rounds, each measuring it with healthy
     * nodes (a node with a healthy partner, a different one each round while there are; a link as
     * its two ends alone) beside a control pair of two healthy nodes. A round reproduces the fault
     * when the culprit's group is bad and the control pair is not (a bad control pair means the
     * round shows something wider than the culprit).
     */
    private final class Confirmation extends Inquiry {
        final Kind kind;
        final List<String> nodes;
        /** Partners already used with the node, avoided while others are free. */
        final Set<String> partnersUsed = new LinkedHashSet<>();
        /**
         * The partner it was bad with in the bisection, never its partner here: with it, a bad link
         * between the two would pass for the node.
         */
        final Set<String> never = new LinkedHashSet<>();
        /** What replaces it when its first confirmation does not reproduce; null to go on confirming. */
        Supplier<Inquiry> otherwise;
        /**
         * How many rounds it is measured: {@link #CONFIRMATIONS}, twice that for a fault that passed a
         * round before and reproduced in none.
         */
        int rounds = CONFIRMATIONS;
        int measured;
        int reproduced;
        /** Of the rounds that reproduced, those that did beyond doubt ({@link #clearly}). */
        int beyondDoubt;
        boolean withControl;

        Confirmation(Kind kind, List<String> nodes, String badWith) {
            this.kind = kind;
            this.nodes = List.copyOf(nodes);
            never.addAll(nodes);
            if (badWith != null) {
                never.add(badWith);
            }
        }

        @Override
        Set<String> subjects() {
            return new LinkedHashSet<>(nodes);
        }

        @Override
        List<Group> propose(Partners partners) {
            List<String> members = new ArrayList<>(nodes);
            if (kind == Kind.NODE) {
                Set<String> avoid = new LinkedHashSet<>(never);
                avoid.addAll(partnersUsed);
                String partner = partners.take(avoid);
                if (partner == null) {
                    partner = partners.take(never);
                }
                if (partner == null) {
                    return List.of();
                }
                partnersUsed.add(partner);
                members.add(partner);
            }
            String what = kind == Kind.NODE ? nodes.get(0) + " with healthy " + members.get(1)
                    : "link " + String.join("~", nodes);
            List<Group> groups = new ArrayList<>(List.of(new Group(members, "confirm " + what + " ("
                    + (measured + 1) + " of " + rounds + ")")));
            List<String> control = partners.pair();
            withControl = control != null;
            if (withControl) {
                groups.add(new Group(control, "control pair for " + what));
            }
            return groups;
        }

        @Override
        List<Inquiry> read(List<Measured> results, Findings findings) {
            boolean controlBad = withControl && results.get(1).bad();
            boolean reproduces = results.get(0).bad() && !controlBad;
            if (results.get(0).bad() && controlBad) {
                evidence.add("the control pair was bad too: the round shows nothing particular to "
                        + String.join("~", nodes));
            }
            measured++;
            if (reproduces) {
                reproduced++;
                if (clearly(results.get(0))) {
                    beyondDoubt++;
                }
            }
            if (measured == 1 && !reproduces && otherwise != null) {
                Supplier<Inquiry> instead = otherwise;
                otherwise = null;
                return List.of(instead.get());
            }
            if (measured < rounds) {
                return List.of(this);
            }
            if (reproduced == 0 && (flapping || passedOnce) && rounds == CONFIRMATIONS) {
                // a fault that passed a round before passes three rounds in a row one time in eight at 50%
                rounds += CONFIRMATIONS;
                evidence.add("the fault passed a round before: confirming " + CONFIRMATIONS + " rounds more");
                return List.of(this);
            }
            if (kind == Kind.LINK && reproduced > 0 && !marginal() && (reproduced < measured || flapping)) {
                // a link bad only sometimes, or one of its ends failing now and then: each end apart tells
                return List.of(new Ends(this).withEvidence(evidence));
            }
            conclude(findings, "");
            return List.of();
        }

        void conclude(Findings findings, String why) {
            String tally = "; reproduced in " + reproduced + " of " + measured + " confirmation round(s) with healthy "
                    + "nodes" + why;
            if (measured == 0) {
                findings.unconfirmed.add(new Culprit(kind, nodes, false, evidenceText()
                        + "; no healthy node was free to confirm it against: not confirmed"));
            } else if (reproduced == 0) {
                findings.unconfirmed.add(new Culprit(kind, nodes, false, evidenceText() + tally + ": not confirmed"));
            } else if (marginal()) {
                findings.unconfirmed.add(new Culprit(kind, nodes, false, evidenceText() + tally
                        + ", each time only just past the slow line, as load noise does now and then: not confirmed"));
            } else if (reproduced < measured) {
                findings.culprits.add(new Culprit(kind, nodes, true, evidenceText() + tally + ": intermittent"));
            } else if (flapping) {
                findings.culprits.add(new Culprit(kind, nodes, true, evidenceText() + tally
                        + ": intermittent, it stopped showing during the isolation"));
            } else {
                findings.culprits.add(new Culprit(kind, nodes, false, evidenceText() + tally));
            }
        }

        /** It reproduced in some rounds, not all, and never beyond doubt ({@link #clearly}). */
        boolean marginal() {
            return reproduced > 0 && reproduced < measured && beyondDoubt == 0;
        }

        @Override
        void unresolved(Findings findings) {
            conclude(findings, " before no healthy node was left to measure it against");
        }
    }

    /**
     * A link that reproduced in some of its confirmation rounds, not all: for as many rounds, each of
     * its ends is measured with a healthy partner apart from the other, beside a control pair. An
     * end that reproduces there, where the other never does, is a node failing now and then (named
     * as the node); where neither does, the link is named intermittent.
     */
    private final class Ends extends Inquiry {
        final Confirmation link;
        final Set<String> partnersUsed = new LinkedHashSet<>();
        final int[] reproduced = new int[2];
        /** Of each end's reproducing rounds, those beyond doubt ({@link #clearly}). */
        final int[] beyondDoubt = new int[2];
        /** As a confirmation's: {@link #CONFIRMATIONS}, twice that where the fault stopped showing and neither end reproduced. */
        int rounds = CONFIRMATIONS;
        int measured;
        boolean withControl;

        Ends(Confirmation link) {
            this.link = link;
        }

        @Override
        Set<String> subjects() {
            return new LinkedHashSet<>(link.nodes);
        }

        @Override
        List<Group> propose(Partners partners) {
            List<Group> groups = new ArrayList<>();
            for (String end : link.nodes) {
                Set<String> avoid = new LinkedHashSet<>(link.nodes);
                avoid.addAll(partnersUsed);
                String partner = partners.take(avoid);
                if (partner == null) {
                    partner = partners.take(subjects());
                }
                if (partner == null) {
                    // a round needs both ends measured: wait for partners
                    return List.of();
                }
                partnersUsed.add(partner);
                groups.add(new Group(List.of(end, partner), "confirm " + end + " apart from " + other(end)
                        + " with healthy " + partner + " (" + (measured + 1) + " of " + rounds + ")"));
            }
            List<String> control = partners.pair();
            withControl = control != null;
            if (withControl) {
                groups.add(new Group(control, "control pair for the ends of link " + String.join("~", link.nodes)));
            }
            return groups;
        }

        private String other(String end) {
            return link.nodes.get(0).equals(end) ? link.nodes.get(1) : link.nodes.get(0);
        }

        @Override
        List<Inquiry> read(List<Measured> results, Findings findings) {
            boolean controlBad = withControl && results.get(2).bad();
            for (int k = 0; k < 2; k++) {
                if (results.get(k).bad() && !controlBad) {
                    reproduced[k]++;
                    if (clearly(results.get(k))) {
                        beyondDoubt[k]++;
                    }
                }
            }
            measured++;
            if (measured < rounds) {
                return List.of(this);
            }
            if (reproduced[0] == 0 && reproduced[1] == 0 && flapping && rounds == CONFIRMATIONS) {
                rounds += CONFIRMATIONS;
                evidence.add("the fault stopped showing before: measuring the ends apart " + CONFIRMATIONS
                        + " rounds more");
                return List.of(this);
            }
            conclude(findings);
            return List.of();
        }

        void conclude(Findings findings) {
            String tally = "; apart, " + link.nodes.get(0) + " reproduced in " + reproduced[0] + " and "
                    + link.nodes.get(1) + " in " + reproduced[1] + " of " + measured + " round(s) with healthy nodes";
            for (int k = 0; k < 2; k++) {
                boolean intermittent = reproduced[k] < measured || link.reproduced < link.measured || flapping;
                // an end that reproduced alone, in every round or once beyond doubt: the other end's
                // passes say the fault was its own, not the link's
                if (reproduced[k] > 0 && reproduced[1 - k] == 0 && (reproduced[k] == measured || beyondDoubt[k] > 0)) {
                    findings.culprits.add(new Culprit(Kind.NODE, List.of(link.nodes.get(k)), intermittent,
                            evidenceText() + tally + ": the node, not the link"
                                    + (intermittent ? ", intermittent" : "")));
                    return;
                }
            }
            findings.culprits.add(new Culprit(Kind.LINK, link.nodes, true, evidenceText() + "; reproduced in "
                    + link.reproduced + " of " + link.measured + " confirmation round(s) with healthy nodes" + tally
                    + ": intermittent"));
        }

        @Override
        void unresolved(Findings findings) {
            conclude(findings);
        }
    }

    /**
     * Two sets, each healthy on its own, bad together: a link from one to the other. Quarters are
     * measured across the diagonal (a1+b1 and a2+b2 at once, then a1+b2 and a2+b1), the bad one
     * narrowed further, down to one pair, which is confirmed. Where neither diagonal is bad, the
     * fault stopped showing (a node or link that fails now and then passed by luck): the two sets
     * are searched again, nobody in them cleared, until the fault has not shown in
     * {@link #QUIET_ROUNDS} rounds in a row; then they are reported unconfirmed.
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
        List<Inquiry> read(List<Measured> results, Findings findings) {
            List<Inquiry> next = new ArrayList<>();
            for (int k = 0; k < results.size(); k++) {
                if (results.get(k).bad()) {
                    next.add(between(tried.get(k).get(0), tried.get(k).get(1), evidence));
                }
            }
            passedOnce |= next.isEmpty();
            if (!next.isEmpty()) {
                // the fault showed in the other group: one that passed beside it is cleared
                for (int k = 0; k < results.size(); k++) {
                    if (!results.get(k).bad()) {
                        good.addAll(results.get(k).group().nodes());
                    }
                }
                return next;
            }
            if (tried.size() == 1) {
                // one side was a single node: the untried quarter is the only place left, its pair confirms it
                List<String> x = a.size() == 1 ? a : secondHalf(a);
                List<String> y = a.size() == 1 ? (otherDiagonal ? firstHalf(b) : secondHalf(b)) : b;
                return List.of(between(x, y, evidence));
            }
            if (!otherDiagonal) {
                otherDiagonal = true;
                return List.of(this);
            }
            return stoppedShowing(findings);
        }

        private List<Inquiry> stoppedShowing(Findings findings) {
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            if (quiet < QUIET_ROUNDS) {
                // a node failing now and then passes some rounds: the set is searched again, nobody in it cleared
                evidence.add("the fault did not show in " + quiet + " round(s) in a row: searching these "
                        + all.size() + " nodes again");
                Search again = new Search(all);
                again.flapping = true;
                return List.of(again.withEvidence(evidence));
            }
            if (!anyBad) {
                // no group was ever bad: what started the isolation did not show in any probe
                return List.of();
            }
            findings.unconfirmed.add(new Culprit(Kind.GROUP, all, false, evidenceText()
                    + "; the fault between these halves did not show again in " + quiet + " rounds in a row"));
            return List.of();
        }

        @Override
        void unresolved(Findings findings) {
            List<String> all = new ArrayList<>(a);
            all.addAll(b);
            findings.culprits.add(new Culprit(Kind.GROUP, all, false, evidenceText()));
        }
    }
}
