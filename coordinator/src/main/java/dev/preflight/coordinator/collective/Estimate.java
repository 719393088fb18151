package dev.preflight.coordinator.collective;

import dev.preflight.agent.bench.BenchMemory;
import dev.preflight.agent.bench.CollectiveSizes;
import dev.preflight.agent.bench.SweepWork;
import dev.preflight.proto.v1.BenchSpec;
import java.time.Duration;
import java.util.List;

/**
 * Predicted wall time of communicators, from a deliberately plain model: a fixed start-up per
 * communicator (worker processes, NCCL's bootstrap and connection set-up), then every op of the
 * sweep at a nominal rate and latency. The rates are conservative for a GPU cluster (NVLink moves
 * several hundred GB/s, an NDR rail about 48) so the prediction errs long; deadlines are a
 * multiple of it at the slowest rate measured so far, so only a hang, not a slow link, runs into them.
 */
public final class Estimate {
    static final double START_SECONDS = 4;
    static final double INTRA_NODE_BYTES_PER_SECOND = 100e9;
    static final double INTER_NODE_BYTES_PER_SECOND = 10e9;
    static final double INTRA_NODE_LATENCY_SECONDS = 30e-6;
    static final double INTER_NODE_LATENCY_SECONDS = 60e-6;
    /** A sweep counts as hung once it runs this many times its prediction... */
    static final double TIMEOUT_FACTOR = 5;
    /** ...and never sooner than this, which covers start-up on a loaded machine. */
    static final Duration TIMEOUT_FLOOR = Duration.ofSeconds(30);

    private Estimate() {}

    /** Seconds for the sweep of a spec on nranks ranks at the nominal rates, start-up excluded. */
    public static double sweepSeconds(BenchSpec spec, int nranks, boolean acrossNodes) {
        return sweepSeconds(spec, nranks, acrossNodes, nominalRate(acrossNodes));
    }

    public static double nominalRate(boolean acrossNodes) {
        return acrossNodes ? INTER_NODE_BYTES_PER_SECOND : INTRA_NODE_BYTES_PER_SECOND;
    }

    /**
     * The engine's own work for the spec ({@link SweepWork}: the sizes the requests carry, each
     * size's warm-up, untimed, timed and validating collectives, and the synchronising ones), each
     * collective at the latency plus its size at the rate.
     *
     * @param rate bus bandwidth in bytes per second
     */
    static double sweepSeconds(BenchSpec spec, int nranks, boolean acrossNodes, double rate) {
        double latency = acrossNodes ? INTER_NODE_LATENCY_SECONDS : INTRA_NODE_LATENCY_SECONDS;
        double seconds = 0;
        for (SweepWork size : SweepWork.of(spec, nranks)) {
            double factor = nranks > 1 ? CollectiveSizes.busBandwidthFactor(size.op(), nranks) : 0;
            seconds += size.launches() * (latency + size.bytes() * factor / rate) + size.syncs() * latency;
        }
        return seconds;
    }

    public static double seconds(Communicator comm) {
        return seconds(comm, nominalRate(true), nominalRate(false));
    }

    /**
     * At the given bus bandwidths between nodes and inside one (bytes per second), on the sizes the
     * run will ask of the members' GPUs: cut, as the run cuts them, to what the smallest GPU holds
     * ({@link BenchMemory#clamp}, by the inventory's memory until the workers report what is free).
     */
    static double seconds(Communicator comm, double across, double inside) {
        boolean acrossNodes = comm.members().size() > 1;
        return START_SECONDS + sweepSeconds(withinInventory(comm), comm.layout().nranks(), acrossNodes,
                acrossNodes ? across : inside);
    }

    private static BenchSpec withinInventory(Communicator comm) {
        long smallest = comm.members().stream().mapToLong(m -> m.node().gpuMemoryBytes()).filter(b -> b > 0).min()
                .orElse(0);
        if (smallest == 0) {
            return comm.spec();
        }
        return BenchMemory.clamp(comm.spec(), comm.layout().nranks(), smallest).map(BenchMemory.Clamped::spec)
                .orElse(comm.spec());
    }

    /** Rounds run one after another; the communicators of a round at once, so a round takes its slowest. */
    public static double seconds(List<List<Communicator>> rounds) {
        return seconds(rounds, nominalRate(true), nominalRate(false));
    }

    static double seconds(List<List<Communicator>> rounds, double across, double inside) {
        double total = 0;
        for (List<Communicator> round : rounds) {
            total += round.stream().mapToDouble(c -> seconds(c, across, inside)).max().orElse(0);
        }
        return total;
    }

    /**
     * The deadline a sweep gets: its prediction at the given bus bandwidth times
     * {@link #TIMEOUT_FACTOR}, at least the floor, at most the cap.
     */
    public static Duration timeout(BenchSpec spec, int nranks, boolean acrossNodes, double rate, Duration cap) {
        double seconds = Math.max(TIMEOUT_FLOOR.toSeconds(), TIMEOUT_FACTOR * sweepSeconds(spec, nranks, acrossNodes, rate));
        Duration derived = Duration.ofSeconds((long) Math.ceil(seconds));
        return derived.compareTo(cap) > 0 ? cap : derived;
    }

    /** "1m 40s", "12s". */
    public static String format(Duration duration) {
        long seconds = Math.max(0, (duration.toMillis() + 500) / 1000);
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m " + seconds % 60 + "s";
        }
        return seconds / 3600 + "h " + seconds % 3600 / 60 + "m";
    }
}
