package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.Measurements.Sweep;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One NCCL communicator to create and bench: its members in rank order (the first hosts NCCL's
 * bootstrap root), the sweep, and what the report calls it.
 *
 * @param phase the run phase's flag name (rails, pairwise...)
 * @param label how the report and the progress lines name it: "rail 1 node-1~node-2"
 * @param rail the local GPU index of a rail communicator, -1 otherwise
 * @param attempt 1, or 2 for the repeat of a measurement that failed or looked like an outlier
 */
public record Communicator(String phase, String label, Sweep.Kind kind, int rail, List<Member> members, BenchSpec spec,
        int attempt) {
    public Communicator {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a communicator has at least one member");
        }
        members = List.copyOf(members);
    }

    public Communicator(String phase, String label, Sweep.Kind kind, int rail, List<Member> members, BenchSpec spec) {
        this(phase, label, kind, rail, members, spec, 1);
    }

    public RankLayout layout() {
        return RankLayout.of(members);
    }

    public List<String> nodeNames() {
        List<String> names = new ArrayList<>();
        for (Member member : members) {
            names.add(member.node().name());
        }
        return names;
    }

    /**
     * The same communicator without the given nodes, where that still measures the same thing: a
     * rail or all-node collective keeps its meaning on the remaining nodes (at least two); a pair,
     * or explicit send/recv peers, do not.
     */
    public Optional<Communicator> without(Set<String> gone) {
        List<Member> kept = new ArrayList<>();
        for (Member member : members) {
            if (!gone.contains(member.node().name())) {
                kept.add(member);
            }
        }
        boolean regroupable = (kind == Sweep.Kind.RAIL || kind == Sweep.Kind.ALL_NODES) && spec.getPeerPairsCount() == 0;
        if (kept.size() == members.size() || !regroupable || kept.size() < 2) {
            return kept.size() == members.size() ? Optional.of(this) : Optional.empty();
        }
        List<String> left = new ArrayList<>();
        for (Member member : members) {
            if (gone.contains(member.node().name())) {
                left.add(member.node().name());
            }
        }
        return Optional.of(new Communicator(phase, label + " without " + String.join(", ", left), kind, rail, kept, spec,
                attempt));
    }

    public Communicator repeat() {
        return new Communicator(phase, label, kind, rail, members, spec, attempt + 1);
    }
}
