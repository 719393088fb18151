package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one walk of /sys/class/infiniband, on captured nodes. */
class RdmaDevicesTest {
    @Test
    void devicesAreInNaturalOrder() throws Exception {
        HostFs fs = Fixtures.hostFs("h100-ib-eth-some-down");
        List<String> names = RdmaDevices.names(HostReader.unrecorded(fs));
        assertEquals(List.of("mlx5_0", "mlx5_1", "mlx5_2", "mlx5_3", "mlx5_4", "mlx5_5", "mlx5_6", "mlx5_7", "mlx5_8",
                "mlx5_9", "mlx5_10", "mlx5_11"), names);
        List<String> sorted = new ArrayList<>(List.of("mlx5_bond_0", "mlx5_10", "mlx5_2"));
        sorted.sort(RdmaDevices.NATURAL_ORDER);
        assertEquals(List.of("mlx5_2", "mlx5_10", "mlx5_bond_0"), sorted);
    }

    @Test
    void portStatesNameTheActiveAndTheDownPorts() throws Exception {
        HostFs fs = Fixtures.hostFs("h100-ib-eth-some-down");
        List<String> down = new ArrayList<>();
        for (RdmaDevices.PortState port : RdmaDevices.states(HostReader.unrecorded(fs))) {
            if (!port.active()) {
                down.add(port.device() + ":" + port.number() + " " + port.linkLayer().orElse("?"));
            }
        }
        assertEquals(List.of("mlx5_2:1 Ethernet", "mlx5_7:1 Ethernet", "mlx5_8:1 Ethernet"), down);
    }

    @Test
    void theEightNdrPortsOfTheHgxNode() throws Exception {
        HostFs fs = Fixtures.hostFs("hgx-8gpu-cx7-ndr");
        List<RdmaDevice> devices = RdmaDevices.read(HostReader.unrecorded(fs), Optional.empty());
        List<RdmaPort> ports = RdmaDevices.ports(devices);
        assertEquals(8, ports.size());
        assertTrue(ports.stream().allMatch(port -> port.active() && port.infiniband()
                && port.rate().gigabitsPerSecond() == 400), ports.toString());
        assertEquals("mlx5_0:1", ports.get(0).id());
        assertEquals(0x80, ports.get(0).lid().getAsLong());
        assertTrue(devices.stream().allMatch(device -> device.function().isEmpty()), "no topology, no PCI position");
    }

    /** Issue 14 point 10: one malformed port file costs that port, not the device's other facts. */
    @Test
    void aMalformedPortIsSetAsideAndNamed(@TempDir Path root) throws Exception {
        Fixtures.copy("hgx-8gpu-cx7-ndr", root);
        Files.writeString(root.resolve("sys/class/infiniband/mlx5_4/ports/1/rate"), "fast\n");
        List<RdmaDevice> devices = RdmaDevices.read(HostReader.unrecorded(HostFs.under(root)), Optional.empty());
        RdmaDevice broken = devices.get(2);
        assertEquals("mlx5_4", broken.name());
        assertEquals(List.of(), broken.ports());
        assertEquals(1, broken.unreadablePorts().size());
        assertTrue(broken.unreadablePorts().get(0).startsWith("mlx5_4/1 ("), broken.unreadablePorts().toString());
        assertEquals(7, RdmaDevices.ports(devices).size());
    }
}
