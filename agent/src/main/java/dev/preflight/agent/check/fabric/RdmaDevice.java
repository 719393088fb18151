package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.host.PciTopology;
import java.util.List;
import java.util.Optional;

/** An RDMA device (/sys/class/infiniband/DEV): its PCI function, network interfaces and ports. */
public record RdmaDevice(String name, String hcaType, String firmware, Optional<String> bdf,
        Optional<PciTopology.Function> function, List<String> netdevs, List<RdmaPort> ports) {
    /** The fastest active port's rate in Gb/s, 0 when no port is active. */
    public double activeGigabits() {
        double best = 0;
        for (RdmaPort port : ports) {
            if (port.active()) {
                best = Math.max(best, port.rate().gigabitsPerSecond());
            }
        }
        return best;
    }

    public boolean anyActive() {
        return ports.stream().anyMatch(RdmaPort::active);
    }
}
