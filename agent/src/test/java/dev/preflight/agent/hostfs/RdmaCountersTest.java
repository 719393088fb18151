package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.agent.Fixtures;
import dev.preflight.proto.v1.PortCounterSet;
import dev.preflight.proto.v1.PortCounters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Port counters from the 8-GPU capture, taken live around traffic. */
class RdmaCountersTest {
    private static final String NODE = "hgx-8gpu-cx7-ndr";

    @Test
    void portCountersAreSnapshotAndRisingErrorsNamed(@TempDir Path root) throws Exception {
        PortCounters before = RdmaCounters.take(Fixtures.hostFs(NODE), Instant.EPOCH);
        assertEquals(8, before.getPortsCount());
        PortCounterSet first = before.getPorts(0);
        assertEquals("mlx5_0", first.getDevice());
        assertEquals("InfiniBand", first.getLinkLayer());
        assertEquals(2880761508848L, first.getCountersOrThrow("port_xmit_data"));
        assertEquals(131L, first.getHwCountersOrThrow("local_ack_timeout_err"));
        Fixtures.copy(NODE, root);
        Files.writeString(root.resolve("sys/class/infiniband/mlx5_6/ports/1/counters/symbol_error"), "17\n");
        Files.writeString(root.resolve("sys/class/infiniband/mlx5_6/ports/1/counters/port_xmit_data"), "2880761599999\n");
        Files.writeString(root.resolve("sys/class/infiniband/mlx5_1/ports/1/counters/link_downed"), "many\n");
        PortCounters after = RdmaCounters.take(HostFs.under(root), Instant.EPOCH.plusSeconds(60));
        assertEquals(List.of(new RdmaCounters.Rise("mlx5_6:1", "symbol_error", 0, 17)),
                RdmaCounters.risenErrors(before, after));
        assertEquals(List.of("counters/link_downed: not a counter"), after.getPorts(1).getUnreadableList());
    }
}
