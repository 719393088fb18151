package dev.preflight.coordinator.collective;

import dev.preflight.agent.bench.CollectiveSizes;
import dev.preflight.proto.units.ByteSizes;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * How much the bench phases measure. quick: one large message per communicator (enough to see a
 * slow rail or node); full: nccl-tests' sweeps, four all-node collectives, pairwise and the
 * inference shapes. Each has a time budget the run keeps to.
 *
 * <p>On two nodes of eight H100s the run predicts quick under one minute and full under five
 * (BenchPredictionTest). For that, full's all-node sweeps run 10 timed iterations and 2 warm-up
 * per size instead of nccl-tests' 20 and 5: four collectives up to 8 GiB on 16 ranks across nodes
 * predict 6m 37s at 20 iterations, 3m 32s at 10; at those sizes an iteration moves for hundreds of
 * milliseconds, so ten of them still give a steady average. --iters sets them back.
 */
public enum BenchProfile {
    QUICK(Duration.ofMinutes(10), Duration.ofMinutes(2),
            single(ByteSizes.GIB), single(ByteSizes.GIB), single(512 * ByteSizes.MIB), single(512 * ByteSizes.MIB),
            new Shape(16 * ByteSizes.KIB, ByteSizes.MIB, 4, 50, 5)),
    FULL(Duration.ofMinutes(60), Duration.ofMinutes(10),
            new Shape(8, 8 * ByteSizes.GIB, 2, 20, 5),
            new Shape(8, 8 * ByteSizes.GIB, 2, 10, 2),
            new Shape(ByteSizes.MIB, 4 * ByteSizes.GIB, 4, 20, 5),
            new Shape(ByteSizes.MIB, ByteSizes.GIB, 4, 20, 5),
            new Shape(8 * ByteSizes.KIB, 2 * ByteSizes.MIB, 2, 200, 20));

    /**
     * Sizes as nccl-tests' -b/-e/-f, and its -n/-w.
     */
    public record Shape(long minBytes, long maxBytes, int stepFactor, int iters, int warmupIters) {
        /** At most maxBytes (0: no cap), every size then at most that. */
        public Shape capped(long cap) {
            if (cap <= 0 || cap >= maxBytes) {
                return this;
            }
            return new Shape(Math.min(minBytes, cap), cap, stepFactor, iters, warmupIters);
        }

        /** With this many timed iterations (0: as is); warm-up shrinks with them. */
        public Shape withIters(int newIters) {
            if (newIters <= 0) {
                return this;
            }
            return new Shape(minBytes, maxBytes, stepFactor, newIters, Math.min(warmupIters, Math.max(1, newIters / 4)));
        }

        /** The sizes visited, smallest first (nccl-tests': min, times the factor, up to max). */
        public List<Long> sizes() {
            return CollectiveSizes.sweep(minBytes, maxBytes, stepFactor);
        }
    }

    private final Duration budget;
    private final Duration maxCollectiveTimeout;
    private final Shape intraNode;
    private final Shape allNodes;
    private final Shape rails;
    private final Shape pairwise;
    private final Shape decode;

    BenchProfile(Duration budget, Duration maxCollectiveTimeout, Shape intraNode, Shape allNodes, Shape rails,
            Shape pairwise, Shape decode) {
        this.budget = budget;
        this.maxCollectiveTimeout = maxCollectiveTimeout;
        this.intraNode = intraNode;
        this.allNodes = allNodes;
        this.rails = rails;
        this.pairwise = pairwise;
        this.decode = decode;
    }

    private static Shape single(long bytes) {
        return new Shape(bytes, bytes, 2, 20, 5);
    }

    public String flagName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public Duration budget() {
        return budget;
    }

    /** No collective's deadline is derived beyond this. */
    public Duration maxCollectiveTimeout() {
        return maxCollectiveTimeout;
    }

    public Shape intraNode() {
        return intraNode;
    }

    public Shape allNodes() {
        return allNodes;
    }

    public Shape rails() {
        return rails;
    }

    public Shape pairwise() {
        return pairwise;
    }

    /** Decode-step messages: hidden size x batch x 2 bytes, 7168 (DeepSeek-R1) to 16384 (Llama 3.1 405B) x 1-64 tokens. */
    public Shape decode() {
        return decode;
    }

    /** Whether the all-node phase runs the four collectives or only all-reduce. */
    public boolean allCollectives() {
        return this == FULL;
    }

    /**
     * @throws IllegalArgumentException naming the value and the profiles
     */
    public static BenchProfile parse(String value) {
        for (BenchProfile profile : values()) {
            if (profile.flagName().equals(value.strip().toLowerCase(Locale.ROOT))) {
                return profile;
            }
        }
        throw new IllegalArgumentException("'" + value + "' is not a profile: quick, full");
    }
}
