/**
 * The fabric.* checks: RDMA ports and devices, RoCE GIDs and QoS, GPUDirect RDMA, NCCL's socket
 * interface and NCCL_* settings, the NVSwitch fabric manager.
 *
 * <p>May import: {@code check}, {@code check.nccl}, {@code hostfs}.
 */
package dev.preflight.agent.check.fabric;
