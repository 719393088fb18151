package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.Measurements.Sweep;
import java.util.ArrayList;
import java.util.List;

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

    public List<BenchNode> nodes() {
        List<BenchNode> nodes = new ArrayList<>();
        for (Member member : members) {
            nodes.add(member.node());
        }
        return nodes;
    }

    public boolean involves(BenchNode node) {
        return members.stream().anyMatch(m -> m.node().index() == node.index());
    }

    public Communicator repeat() {
        return new Communicator(phase, label, kind, rail, members, spec, attempt + 1);
    }
}
