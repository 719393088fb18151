package dev.preflight.agent.bench;

import java.io.IOException;
import java.util.List;

/** The node's active InfiniBand/RoCE ports (a port to the fabric facts, so tests hand in fixtures). */
public interface RdmaPorts {
    /** Active ports as "mlx5_0/1 (InfiniBand)"; empty when the node has none. */
    List<String> active() throws IOException;
}
