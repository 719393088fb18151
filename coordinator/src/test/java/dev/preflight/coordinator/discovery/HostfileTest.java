package dev.preflight.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostfileTest {
    @Test
    void mpiStyleLinesWithSlotsCommentsPortsAndIpv6() {
        List<DiscoveredAgent> agents = Hostfile.parse("# DeepSpeed hostfile\n"
                + "gpu-01 slots=8\n"
                + "gpu-02:9000   slots=8 max_slots=8\n"
                + "\n"
                + "10.0.0.5   # by address\n"
                + "[fd00::5]:7745\n"
                + "fd00::6\n", "nodes.txt", 7744);
        assertEquals(List.of("gpu-01:7744", "gpu-02:9000", "10.0.0.5:7744", "[fd00::5]:7745", "[fd00::6]:7744"),
                agents.stream().map(agent -> agent.address().toString()).toList());
        assertEquals("hostfile nodes.txt:2", agents.get(0).origin());
    }

    @Test
    void badLinesNameTheFileAndLine() {
        assertEquals("nodes.txt:2: 'eight' after the host is not key=value (e.g. slots=8)",
                assertThrows(IllegalArgumentException.class,
                        () -> Hostfile.parse("gpu-01\ngpu-02 eight\n", "nodes.txt", 7744)).getMessage());
        assertEquals("nodes.txt:1: 'gpu-01:0': port must be 1-65535",
                assertThrows(IllegalArgumentException.class,
                        () -> Hostfile.parse("gpu-01:0\n", "nodes.txt", 7744)).getMessage());
        assertEquals("nodes.txt: no host in it", assertThrows(IllegalArgumentException.class,
                () -> Hostfile.parse("# nothing\n\n", "nodes.txt", 7744)).getMessage());
    }
}
