/**
 * How NCCL will see and use the node: its settings (NCCL_IB_HCA and NCCL_SOCKET_IFNAME name lists,
 * NCCL_NET_GDR_LEVEL, the known variable names), the socket interface it picks, the fabric as it
 * chooses rails on it, and the class of link it gets. Evaluators, not checks: the checks of
 * {@code check.fabric} and {@code check.host} judge with them.
 *
 * <p>Never a package of checks (it takes only the checks' context from the check package), so the
 * fabric and host checks both build on it and not on each other.
 *
 * <p>May import: {@code check}, {@code hostfs}.
 */
package dev.preflight.agent.check.nccl;
