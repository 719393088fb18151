package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.BenchSpec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The inference phase at a plan's sizes: DeepSeek-R1's TP8 x PP2 decode step and its EP16 dispatch on two nodes. */
class InferencePlanSizesTest {
    private static final long DECODE = 7168L * 32 * 2;
    private static final long DISPATCH = 2L * 8 * 7168 * 2;

    private static BenchSettings settings(BenchSettings.PlanSizes sizes) {
        return new BenchSettings(BenchProfile.QUICK, 0, 0, Optional.empty(), Duration.ofMinutes(10), 0, 0, List.of(),
                Optional.empty(), Duration.ofSeconds(1)).forPlan(8, 2, sizes);
    }

    @Test
    void everyCommunicatorMeasuresThePlansMessageOnly() {
        List<BenchNode> nodes = FakeBench.nodes(8, 8);
        BenchSettings settings = settings(new BenchSettings.PlanSizes(DECODE, DISPATCH));
        List<Communicator> comms = InferencePhase.plan(InferenceLayout.of(nodes, settings.tp(), settings.pp()), settings);
        // two TP stages, one PP boundary, one EP group; each per op and in CUDA graphs
        assertEquals(8, comms.size(), comms.toString());
        for (Communicator comm : comms) {
            BenchSpec spec = comm.spec();
            long size = comm.label().startsWith(InferencePhase.EP_LABEL) ? DISPATCH : DECODE;
            assertEquals(size, spec.getMinBytes(), comm.label());
            assertEquals(size, spec.getMaxBytes(), comm.label());
        }
        Communicator ep = comms.stream().filter(c -> c.label().startsWith(InferencePhase.EP_LABEL)).findFirst().orElseThrow();
        assertEquals(BenchSpec.Op.ALLTOALL, ep.spec().getOps(0));
        assertEquals(16, ep.layout().nranks());
        assertEquals(List.of("node-1", "node-2"), ep.nodeNames());
        assertTrue(comms.stream().anyMatch(c -> c.label().equals("pp send/recv stage 0->1 node-1~node-2 (per op)")), comms.toString());
    }

    @Test
    void withoutAPlanTheDecodeSweepAndNoAllToAll() {
        List<BenchNode> nodes = FakeBench.nodes(8, 8);
        BenchSettings settings = settings(BenchSettings.PlanSizes.NONE);
        List<Communicator> comms = InferencePhase.plan(InferenceLayout.of(nodes, settings.tp(), settings.pp()), settings);
        assertEquals(6, comms.size());
        assertEquals(BenchProfile.QUICK.decode().minBytes(), comms.get(0).spec().getMinBytes());
        assertEquals(BenchProfile.QUICK.decode().maxBytes(), comms.get(0).spec().getMaxBytes());
    }
}
