package dev.preflight.agent.bench;

import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.hostfs.HostReader;
import dev.preflight.agent.hostfs.RdmaDevices;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The node's active InfiniBand/RoCE ports (a port to the fabric facts, so tests hand in fixtures). */
public interface RdmaPorts {
    /** Active ports as "mlx5_0/1 (InfiniBand)"; empty when the node has none. */
    List<String> active() throws IOException;

    /**
     * The ports sysfs shows active now, devices in natural order (mlx5_2 before mlx5_10): read
     * when a bench ends, so live rather than from a check run's host model.
     */
    static RdmaPorts of(HostFs fs) {
        return () -> {
            List<String> active = new ArrayList<>();
            for (RdmaDevices.PortState port : RdmaDevices.states(HostReader.unrecorded(fs))) {
                if (port.active()) {
                    active.add(port.device() + "/" + port.number() + " (" + port.linkLayer().orElse("unknown link layer") + ")");
                }
            }
            return active;
        };
    }
}
