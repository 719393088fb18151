package dev.preflight.coordinator.collective;

import java.util.ArrayList;
import java.util.List;

/**
 * Global ranks of a communicator, node-major as NCCL's own launchers number them: a member's first
 * GPU is rank (sum of the GPUs of the members before it), its others follow. Members may bring
 * different numbers of GPUs.
 */
public final class RankLayout {
    private final List<Integer> offsets;
    private final int nranks;

    private RankLayout(List<Integer> offsets, int nranks) {
        this.offsets = offsets;
        this.nranks = nranks;
    }

    public static RankLayout of(List<Member> members) {
        List<Integer> offsets = new ArrayList<>();
        int next = 0;
        for (Member member : members) {
            offsets.add(next);
            next += member.gpus().size();
        }
        return new RankLayout(List.copyOf(offsets), next);
    }

    /** Global rank of the member's first GPU. */
    public int offset(int member) {
        return offsets.get(member);
    }

    /** Global rank of the member's local-th GPU. */
    public int rank(int member, int local) {
        return offsets.get(member) + local;
    }

    public int nranks() {
        return nranks;
    }
}
