package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.agent.hostfs.SysfsValues.NumberedState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RailMapTest {
    private static PciTopology.Function function(String root, String... chain) {
        return new PciTopology.Function(chain[chain.length - 1], root, List.of(chain), 0x15b3, 0x1021, 0x020000, 0);
    }

    private static RdmaDevice nic(String name, PciTopology.Function function) {
        RdmaPort port = new RdmaPort(name, 1, new NumberedState(4, "ACTIVE"), new NumberedState(5, "LinkUp"),
                new IbRate(100, 4, "EDR"), "Ethernet", OptionalLong.empty(), OptionalLong.empty());
        return new RdmaDevice(name, "MT4125", "22.36", Optional.of(function.bdf()), Optional.of(function), List.of(),
                List.of(port), List.of());
    }

    /**
     * Four 100G NICs under each GPU's PCIe switch (the p5 layout): the rail map picks one per GPU,
     * and the other three join that GPU's rail; a front-end NIC on another root complex joins none.
     */
    @Test
    void everyNicUnderAGpusSwitchServesItsRailAndAFrontEndNicServesNone() {
        List<PciTopology.Function> gpus = new ArrayList<>();
        List<RdmaDevice> devices = new ArrayList<>();
        for (int g = 0; g < 2; g++) {
            String bus = g == 0 ? "1" : "9";
            String up = "0000:" + bus + "0:01.0";
            String sw = "0000:" + bus + "1:00.0";
            gpus.add(function("pci0000:" + bus + "0", up, sw, "0000:" + bus + "2:00.0", "0000:" + bus + "3:00.0"));
            for (int n = 0; n < 4; n++) {
                devices.add(nic("rdmap" + g + n, function("pci0000:" + bus + "0", up, sw, "0000:" + bus + "2:0" + (n + 1) + ".0",
                        "0000:" + bus + "4:0" + n + ".0")));
            }
        }
        devices.add(nic("frontend", function("pci0000:50", "0000:50:01.0", "0000:51:00.0")));
        RailMap map = RailMap.of(gpus, devices);
        Map<Integer, List<RdmaDevice>> rails = map.nics();
        assertEquals(List.of(0, 1), map.rails().stream().map(RailMap.Rail::gpuIndex).toList());
        assertEquals(List.of("rdmap00", "rdmap01", "rdmap02", "rdmap03"), rails.get(0).stream().map(RdmaDevice::name).sorted().toList());
        assertEquals(List.of("rdmap10", "rdmap11", "rdmap12", "rdmap13"), rails.get(1).stream().map(RdmaDevice::name).sorted().toList());
        assertEquals(List.of(), map.gpusOf("frontend"));
        assertEquals(List.of(1), map.gpusOf("rdmap12"));
    }
}
