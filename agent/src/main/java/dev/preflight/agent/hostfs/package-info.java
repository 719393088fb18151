/**
 * The node's files seen through the movable roots, read one way ({@link dev.preflight.agent.hostfs.BoundedFile}:
 * regular files only, bounded in bytes and time), and the typed, immutable readers built on them:
 * RDMA devices and ports with their counters and GIDs, network interfaces and addresses, the PCI
 * tree and its rails, process limits, capabilities and mounts. {@link dev.preflight.agent.hostfs.HostModel}
 * reads each once per check run and replays what it read to every check that judges it.
 *
 * <p>The bottom layer of the agent: it imports no other agent package, only the proto module (its
 * units, its text helpers and the port-counter messages it fills), so the checks, the NCCL-setting
 * evaluators, the bench, the GPU inventory and the coordinator all build on it without a cycle.
 *
 * <p>May import: no other agent package.
 */
package dev.preflight.agent.hostfs;
