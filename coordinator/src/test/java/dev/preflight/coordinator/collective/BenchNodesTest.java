package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.fanout.AgentTarget;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Before the first bench the prediction sees the inventories' GPUs; after it, the nodes that benched. */
class BenchNodesTest {
    private static BenchContext.Candidate candidate(String name, int inventoryGpus) {
        return new BenchContext.Candidate(name, new AgentTarget(name + ":7744", null), "", 0, inventoryGpus);
    }

    @Test
    void theInventorysGpusArePredictedAndEightWhereItFoundNone() {
        try (CommunicatorRunner agents = new CommunicatorRunner(List.of(), Duration.ofSeconds(1), (c, p) -> { });
                BenchNodes nodes = BenchNodes.toLearn(List.of(candidate("a", 4), candidate("b", 0)), agents)) {
            assertFalse(nodes.benched());
            assertEquals(List.of(4, BenchNodes.ASSUMED_GPUS), nodes.assumed().stream().map(BenchNode::gpuCount).toList());
        }
    }

    @Test
    void theFirstBenchsNodesStayTheNodes() {
        try (CommunicatorRunner agents = new CommunicatorRunner(List.of(), Duration.ofSeconds(1), (c, p) -> { });
                BenchNodes nodes = BenchNodes.toLearn(List.of(candidate("node-1", 2), candidate("node-2", 2)), agents)) {
            List<BenchNode> first = FakeBench.nodes(2, 2);
            assertTrue(nodes.learnt(first));
            assertFalse(nodes.learnt(FakeBench.nodes(2)), "a later bench of each node changes nothing");
            assertTrue(nodes.benched());
            assertEquals(first, nodes.all());
        }
    }

    @Test
    void knownNodesHaveNoAgentToLearnThemFrom() {
        try (BenchNodes nodes = BenchNodes.known(FakeBench.nodes(2, 2))) {
            assertTrue(nodes.benched());
            assertEquals("the nodes' GPUs were given, not learnt from agents",
                    assertThrows(IllegalStateException.class, nodes::agents).getMessage());
        }
    }
}
