/**
 * The NCCL bench on this node: the bench RPCs, the node-wide lock and the leases on its GPUs, the
 * worker processes (one per GPU) that run nccl-tests-style sweeps through the native engine, and
 * what their NCCL logs say about the transport used. Configured by {@link
 * dev.preflight.agent.bench.WorkerSettings}.
 *
 * <p>May import: {@code gpu}, {@code hostfs}, {@code security}.
 */
package dev.preflight.agent.bench;
