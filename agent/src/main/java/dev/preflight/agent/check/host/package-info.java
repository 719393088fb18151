/**
 * The host.* checks: process limits, shared memory, capabilities, host identity, the IOMMU, PCIe
 * ACS and links, and the GPU-to-NIC topology.
 *
 * <p>May import: {@code check}, {@code check.nccl}, {@code hostfs}.
 */
package dev.preflight.agent.check.host;
