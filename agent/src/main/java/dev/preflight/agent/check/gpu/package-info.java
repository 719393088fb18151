/**
 * The gpu.* checks: each judges the node's one GPU inventory (NVML, else nvidia-smi, else the PCI
 * bus) against {@link dev.preflight.agent.check.GpuLimits}.
 *
 * <p>May import: {@code check}, {@code gpu}, {@code hostfs}.
 */
package dev.preflight.agent.check.gpu;
