package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A refusal that would be refused again is reported once, not repeated; what may not recur still is. */
class DeterministicRefusalTest {
    private static CommRun outcome(CollectiveResult.Outcome outcome, String error) {
        CollectiveResults results = CollectiveResults.newBuilder()
                .addResults(CollectiveResult.newBuilder().setOutcome(outcome).setError(error)).build();
        return new CommRun(null, results, Map.of(), Map.of(), Duration.ZERO);
    }

    @Test
    void refusalsOfArgumentsUsesAndMemoryAreDeterministic() {
        assertTrue(outcome(CollectiveResult.Outcome.ERROR, "could not start on node-1: INVALID_ARGUMENT: spec.max_bytes: "
                + "8589934592 bytes needs 16.0 GiB of send and receive buffers").deterministic());
        assertTrue(outcome(CollectiveResult.Outcome.ERROR, "ncclCommInitRankConfig: invalid argument (run with "
                + "NCCL_DEBUG=WARN for details) (NCCL error 4)").deterministic());
        assertTrue(outcome(CollectiveResult.Outcome.ERROR, "ncclGroupEnd: invalid usage (run with NCCL_DEBUG=WARN for "
                + "details) (NCCL error 5)").deterministic());
        assertTrue(outcome(CollectiveResult.Outcome.ERROR, "cudaMalloc of the 8589934592-byte send buffer: out of memory "
                + "(CUDA error 2)").deterministic());
    }

    @Test
    void whatMayNotHappenTwiceIsNot() {
        assertFalse(outcome(CollectiveResult.Outcome.ERROR, "ncclAllReduce: remote process exited or there was a network "
                + "error (NCCL error 6)").deterministic());
        assertFalse(outcome(CollectiveResult.Outcome.ERROR, "ncclAllReduce: unhandled system error (NCCL error 2)")
                .deterministic());
        assertFalse(outcome(CollectiveResult.Outcome.TIMEOUT, "ncclAllReduce did not complete within 5.0 s; "
                + "communicator aborted").deterministic());
        assertFalse(outcome(CollectiveResult.Outcome.WRONG_RESULTS, "").deterministic());
        assertFalse(outcome(CollectiveResult.Outcome.OK, "").deterministic());
    }

    @Test
    void aRefusedCommunicatorRunsOnceAndIsReported() {
        List<Communicator> ran = Collections.synchronizedList(new ArrayList<>());
        List<String> lines = new ArrayList<>();
        try (BenchContext ctx = FakeBench.context(FakeBench.settings(BenchProfile.QUICK), FakeBench.nodes(2, 2), comm -> {
            ran.add(comm);
            return CommRun.failed(comm, "could not start on node-1: INVALID_ARGUMENT: spec.max_bytes: 8589934592 "
                    + "bytes needs 16.0 GiB of send and receive buffers plus 1.0 GiB for NCCL on GPU 0, which has 15.2 GiB "
                    + "free", Map.of(), Duration.ofMillis(1));
        }, lines::add)) {
            AllNodesPhase.run(ctx);
            assertEquals(1, ran.size(), "not repeated: " + lines);
            CheckResult check = ctx.results().clusterChecks().get(0);
            assertEquals(CheckResult.Status.ERROR, check.getStatus());
            assertFalse(check.getSummary().contains("also on its repeat"), check.getSummary());
        }
    }
}
