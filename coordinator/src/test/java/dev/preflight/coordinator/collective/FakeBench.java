package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.coordinator.outliers.Outliers;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.SizeRow;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Communicators answered without agents: every completed size at a bus bandwidth the test decides
 * per communicator, or a failure the test decides per communicator and attempt.
 */
final class FakeBench {
    final List<Communicator> ran = Collections.synchronizedList(new ArrayList<>());
    private final ToDoubleFunction<Communicator> gbps;
    private final BiFunction<Communicator, Integer, CollectiveResult.Outcome> outcome;

    FakeBench(ToDoubleFunction<Communicator> gbps, BiFunction<Communicator, Integer, CollectiveResult.Outcome> outcome) {
        this.gbps = gbps;
        this.outcome = outcome;
    }

    FakeBench(ToDoubleFunction<Communicator> gbps) {
        this(gbps, (comm, attempt) -> CollectiveResult.Outcome.OK);
    }

    static List<BenchNode> nodes(int... gpus) {
        List<BenchNode> nodes = new ArrayList<>();
        for (int i = 0; i < gpus.length; i++) {
            List<Integer> devices = new ArrayList<>();
            for (int g = 0; g < gpus[i]; g++) {
                devices.add(g);
            }
            nodes.add(new BenchNode(i, "node-" + (i + 1), new AgentTarget("node-" + (i + 1) + ":7744", null), devices, "", 0));
        }
        return nodes;
    }

    /** A context over nodes whose GPUs are known, its communicators run by {@code runOne} instead of agents. */
    static BenchContext context(BenchSettings settings, List<BenchNode> nodes, Function<Communicator, CommRun> runOne,
            Consumer<String> lines) {
        return new BenchContext(settings, BenchNodes.known(nodes), runOne, lines, Clock.systemUTC(), PortCounterHook.NONE);
    }

    static BenchSettings settings(BenchProfile profile) {
        return new BenchSettings(profile, 64 * 1024, 5, Optional.empty(), Duration.ofMinutes(10), 0, 0, List.of(),
                Optional.of(new Outliers.Settings(3.5, 0.10, 4)), Duration.ofSeconds(1));
    }

    /** How long each attempt of each communicator took; 10 ms unless the test says. */
    private BiFunction<Communicator, Integer, Duration> wall = (comm, attempt) -> Duration.ofMillis(10);

    FakeBench taking(BiFunction<Communicator, Integer, Duration> wall) {
        this.wall = wall;
        return this;
    }

    /** The communicator during which a node dies, and which. */
    private String dyingIn;
    private String dying;

    FakeBench losing(String node, String duringLabel) {
        this.dying = node;
        this.dyingIn = duringLabel;
        return this;
    }

    CommRun run(Communicator comm) {
        ran.add(comm);
        if (comm.label().equals(dyingIn)) {
            return CommRun.failed(comm, dying + ": UNAVAILABLE: Network closed for unknown reason",
                    Map.of(dying, "lost during " + comm.label()), Duration.ofMillis(10));
        }
        CollectiveResult.Outcome result = outcome.apply(comm, comm.attempt());
        CollectiveResults.Builder results = CollectiveResults.newBuilder();
        double rate = gbps.applyAsDouble(comm);
        for (BenchSpec.Op op : comm.spec().getOpsList()) {
            CollectiveResult.Builder r = CollectiveResult.newBuilder().setOp(op).setDtype(BenchSpec.DataType.BFLOAT16)
                    .setNranks(comm.layout().nranks()).setOutcome(result);
            if (result == CollectiveResult.Outcome.OK) {
                for (long bytes : new BenchProfile.Shape(comm.spec().getMinBytes(), comm.spec().getMaxBytes(),
                        comm.spec().getStepFactor(), 1, 0).sizes()) {
                    Placement p = Placement.newBuilder().setBusbwGbps(rate).setAlgbwGbps(rate).setTimeUs(10).setWrong(0)
                            .build();
                    r.addRows(SizeRow.newBuilder().setSizeBytes(bytes).setOutOfPlace(p).setInPlace(p));
                }
            } else {
                r.setFailedCall("ncclAllReduce").setError("did not complete within 5 s");
            }
            results.addResults(r);
        }
        return new CommRun(comm, results.build(), Map.of(), Map.of(), wall.apply(comm, comm.attempt()));
    }

    static boolean involves(Communicator comm, String node) {
        return comm.nodeNames().contains(node);
    }
}
