package dev.preflight.agent.hostfs;

import java.util.List;
import java.util.Optional;

/**
 * An RDMA device (/sys/class/infiniband/DEV): its PCI function, network interfaces and ports.
 *
 * @param unreadablePorts one line per port whose files could not be read or parsed: that port is
 *     left out of {@code ports} and reported by the port check alone, not by every check of the device
 */
public record RdmaDevice(String name, String hcaType, String firmware, Optional<String> bdf,
        Optional<PciTopology.Function> function, List<String> netdevs, List<RdmaPort> ports,
        List<String> unreadablePorts) {
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
