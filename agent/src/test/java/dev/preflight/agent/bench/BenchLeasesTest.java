package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may bench on a node: one run's benches on disjoint GPUs, or one bench alone; never two agents. */
class BenchLeasesTest {
    @TempDir
    Path dir;

    @Test
    void theLastLeaseOfARunReleasesTheNodeLock() throws Exception {
        BenchLeases leases = new BenchLeases(dir, "preflight agent gpu-01");
        StringBuilder busy = new StringBuilder();
        BenchLeases.Lease a = leases.tryAcquire("run-1", List.of(0), busy).orElseThrow();
        BenchLeases.Lease b = leases.tryAcquire("run-1", List.of(1, 2), busy).orElseThrow();
        assertTrue(Files.readString(dir.resolve(NodeBenchLock.FILE_NAME)).startsWith("preflight agent gpu-01, run run-1, pid "));

        // another agent on the node sees the lock held while any of the run's benches is open
        StringBuilder other = new StringBuilder();
        a.close();
        assertTrue(NodeBenchLock.tryAcquire(dir, "another agent", other).isEmpty(), "held by b");
        a.close();
        b.close();
        other.setLength(0);
        Optional<NodeBenchLock> free = NodeBenchLock.tryAcquire(dir, "another agent", other);
        assertTrue(free.isPresent(), other.toString());
        free.get().close();
        assertEquals("", busy.toString());
    }

    @Test
    void aBenchOfEveryGpuOrOfNoRunHasTheNodeToItself() throws Exception {
        BenchLeases leases = new BenchLeases(dir, "preflight agent");
        StringBuilder busy = new StringBuilder();
        BenchLeases.Lease whole = leases.tryAcquire("run-1", List.of(), busy).orElseThrow();
        assertTrue(leases.tryAcquire("run-1", List.of(3), busy).isEmpty());
        assertEquals("GPUs [3] overlap every GPU for run run-1", busy.toString());
        whole.close();

        BenchLeases.Lease alone = leases.tryAcquire("", List.of(0), busy).orElseThrow();
        busy.setLength(0);
        assertTrue(leases.tryAcquire("", List.of(1), busy).isEmpty());
        assertEquals("this agent is benching GPUs [0]", busy.toString());
        alone.close();
        leases.tryAcquire("run-2", List.of(1), busy).orElseThrow().close();
    }

    @Test
    void aLockHeldByAnotherAgentKeepsEveryRunOff() throws Exception {
        StringBuilder holder = new StringBuilder();
        NodeBenchLock other = NodeBenchLock.tryAcquire(dir, "preflight agent (old pod)", holder).orElseThrow();
        BenchLeases leases = new BenchLeases(dir, "preflight agent");
        StringBuilder busy = new StringBuilder();
        assertTrue(leases.tryAcquire("run-1", List.of(0), busy).isEmpty());
        assertTrue(busy.toString().contains("is held by preflight agent (old pod), pid "), busy.toString());
        other.close();
        busy.setLength(0);
        assertTrue(leases.tryAcquire("run-1", List.of(0), busy).isPresent(), busy.toString());
    }
}
