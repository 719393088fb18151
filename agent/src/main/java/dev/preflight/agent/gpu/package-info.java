/**
 * The GPU inventory: NVML (behind the {@link dev.preflight.agent.gpu.Nvml} port), nvidia-smi and
 * the PCI bus as sources, the first that answers winning, and where they come from ({@link
 * dev.preflight.agent.gpu.GpuSources}). It judges nothing: the gpu.* checks do.
 *
 * <p>May import: {@code hostfs}.
 */
package dev.preflight.agent.gpu;
