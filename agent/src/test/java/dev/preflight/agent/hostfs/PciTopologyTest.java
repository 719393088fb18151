package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The PCIe tree of the 8-GPU capture. */
class PciTopologyTest {
    @Test
    void theScanFindsTheGpusWithTheirPlaceInTheTree() throws Exception {
        HostFs fs = Fixtures.hostFs("hgx-8gpu-cx7-ndr");
        EvidenceLog log = new EvidenceLog(fs);
        PciTopology topology = PciTopology.read(log);
        List<PciTopology.Function> gpus = topology.gpus();
        assertEquals(List.of("0000:1b:00.0", "0000:43:00.0", "0000:52:00.0", "0000:61:00.0", "0000:9d:00.0",
                "0000:c3:00.0", "0000:d1:00.0", "0000:df:00.0"), gpus.stream().map(PciTopology.Function::bdf).toList());
        PciTopology.Function gpu0 = gpus.get(0);
        assertFalse(gpu0.rootComplex().isEmpty());
        assertTrue(gpu0.chain().size() > 1, gpu0.toString());
        assertEquals(gpu0.bdf(), gpu0.chain().get(gpu0.chain().size() - 1));
        assertEquals(0, gpu0.numaNode());
        assertTrue(log.lines.get(0).contains("bus/pci/devices = ls: "), log.lines.get(0));
    }

    @Test
    void aResolvedFunctionMakesANewTopologyAndLeavesTheOldOneAsItWas() throws Exception {
        HostFs fs = Fixtures.hostFs("hgx-8gpu-cx7-ndr");
        PciTopology topology = PciTopology.read(HostReader.unrecorded(fs));
        String nic = RdmaDevices.read(HostReader.unrecorded(fs), java.util.Optional.of(topology)).get(0).bdf().orElseThrow();
        PciTopology.Function function = topology.function(HostReader.unrecorded(fs), nic).orElseThrow();
        EvidenceLog again = new EvidenceLog(fs);
        topology.function(again, nic);
        assertFalse(again.lines.isEmpty(), "the scan alone does not know the NIC: it is read by address");
        EvidenceLog known = new EvidenceLog(fs);
        topology.with(List.of(function)).function(known, nic);
        assertEquals(List.of(), known.lines);
        assertTrue(topology.function(HostReader.unrecorded(fs), "0000:ff:1f.7").isEmpty());
    }
}
