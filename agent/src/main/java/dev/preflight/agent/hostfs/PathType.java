package dev.preflight.agent.hostfs;

/**
 * NCCL's path types between a GPU and a NIC, nearest first (topoPathTypeStr in NCCL's
 * graph/topo.cc, up to SYS). The order is NCCL's: a GDR level of PXB allows PIX and PXB paths.
 */
public enum PathType {
    LOC("same device"),
    NVL("NVLink"),
    NVB("NVLink through another GPU"),
    C2C("chip-to-chip link"),
    PIX("at most one PCIe switch"),
    PXB("several PCIe switches, no host bridge"),
    P2C("PCIe then chip-to-chip"),
    PXN("through a peer GPU's NIC"),
    PHB("through the CPU's host bridge, same NUMA node"),
    SYS("across the CPU interconnect between NUMA nodes");

    private final String meaning;

    PathType(String meaning) {
        this.meaning = meaning;
    }

    public String meaning() {
        return meaning;
    }

    public boolean within(PathType limit) {
        return ordinal() <= limit.ordinal();
    }
}
