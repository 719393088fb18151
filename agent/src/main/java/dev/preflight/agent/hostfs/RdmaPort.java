package dev.preflight.agent.hostfs;

import java.util.OptionalLong;

/** One port of an RDMA device, from /sys/class/infiniband/DEV/ports/N. */
public record RdmaPort(String device, int number, SysfsValues.NumberedState state,
        SysfsValues.NumberedState physState, IbRate rate, String linkLayer, OptionalLong lid, OptionalLong smLid) {
    /** IB_PORT_ACTIVE: the only state NCCL uses a port in. */
    public static final int STATE_ACTIVE = 4;
    /** The physical link is up (phys_state 5). */
    public static final int PHYS_LINK_UP = 5;

    public boolean active() {
        return state.code() == STATE_ACTIVE;
    }

    public boolean infiniband() {
        return linkLayer.equals("InfiniBand");
    }

    public boolean ethernet() {
        return linkLayer.equals("Ethernet");
    }

    /** "mlx5_0:1", the form NCCL_IB_HCA and NCCL's logs use. */
    public String id() {
        return device + ":" + number;
    }
}
