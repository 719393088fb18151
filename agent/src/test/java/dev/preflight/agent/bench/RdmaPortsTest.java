package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.hostfs.HostFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RdmaPortsTest {
    @Test
    void activePortsOfARealH100NodeInNaturalOrder() throws Exception {
        List<String> active = RdmaPorts.of(Fixtures.hostFs("bench-ib-h100-cx7-ndr-bf3-bond")).active();
        assertEquals(List.of("mlx5_0/1 (InfiniBand)", "mlx5_1/1 (InfiniBand)", "mlx5_4/1 (InfiniBand)",
                "mlx5_5/1 (InfiniBand)", "mlx5_6/1 (InfiniBand)", "mlx5_7/1 (InfiniBand)", "mlx5_8/1 (InfiniBand)",
                "mlx5_9/1 (InfiniBand)", "mlx5_bond_0/1 (Ethernet)"), active);
    }

    @Test
    void aNodeWithoutInfinibandHasNone() throws Exception {
        assertTrue(RdmaPorts.of(Fixtures.hostFs("docker-default")).active().isEmpty());
    }

    @Test
    void downPortsDoNotCount(@TempDir Path root) throws Exception {
        Path port = root.resolve("sys/class/infiniband/mlx5_2/ports/1");
        Files.createDirectories(port);
        Files.writeString(port.resolve("state"), "1: DOWN");
        Files.writeString(port.resolve("link_layer"), "Ethernet");
        assertTrue(RdmaPorts.of(HostFs.under(root)).active().isEmpty());
    }
}
