package dev.preflight.agent.bench;

import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.BenchSpec;
import java.util.List;
import java.util.Optional;

/**
 * What a sweep asks of each GPU's memory: a worker keeps each of its send and receive buffers at
 * the largest size any op of the spec needs (ops run one after another on the same communicator),
 * plus NCCL's own share. The agent refuses a spec that does not fit; a caller shrinks one to fit
 * first, saying so.
 */
public final class BenchMemory {
    /** Left to NCCL (its channels' buffers, proxy and NVLS memory) and the CUDA context. */
    public static final long NCCL_MARGIN_BYTES = ByteSizes.GIB;

    private BenchMemory() {}

    /** Send plus receive buffer bytes per GPU for the spec on nranks ranks. */
    public static long buffers(BenchSpec spec, int nranks) {
        long send = 0;
        long recv = 0;
        for (CollectiveSweep.Plan plan : CollectiveSweep.plan(spec, nranks)) {
            send = Math.max(send, plan.sendCapacity());
            recv = Math.max(recv, plan.recvCapacity());
        }
        return send + recv;
    }

    /** The spec fits a GPU with this much free memory. */
    public static boolean fits(BenchSpec spec, int nranks, long freeBytes) {
        return buffers(spec, nranks) + NCCL_MARGIN_BYTES <= freeBytes;
    }

    /**
     * The spec with max_bytes lowered to the largest size of its sweep that fits a GPU with
     * {@code freeBytes} free, with one line saying what was cut; empty when the spec fits as it is
     * or when not even its smallest size fits (the agent's refusal then says why).
     */
    public static Optional<Clamped> clamp(BenchSpec spec, int nranks, long freeBytes) {
        if (fits(spec, nranks, freeBytes)) {
            return Optional.empty();
        }
        List<Long> sizes = CollectiveSizes.sweep(spec.getMinBytes(), spec.getMaxBytes(), spec.getStepFactor());
        for (int i = sizes.size() - 2; i >= 0; i--) {
            BenchSpec smaller = spec.toBuilder().setMaxBytes(sizes.get(i)).build();
            if (fits(smaller, nranks, freeBytes)) {
                return Optional.of(new Clamped(smaller, "sizes capped at " + ByteSizes.format(sizes.get(i)) + " instead of "
                        + ByteSizes.format(spec.getMaxBytes()) + ": " + ByteSizes.format(buffers(spec, nranks))
                        + " of buffers plus " + ByteSizes.format(NCCL_MARGIN_BYTES) + " for NCCL would not fit the "
                        + ByteSizes.format(freeBytes) + " free on the smallest GPU"));
            }
        }
        return Optional.empty();
    }

    /** A spec cut to fit, and the line that says so. */
    public record Clamped(BenchSpec spec, String note) {}
}
