/**
 * What identifies a node to the coordinator: node info (hostname, OS, CPU, memory, the GPU
 * inventory) and the fingerprint of facts that must agree across nodes.
 *
 * <p>May import: {@code gpu}, {@code hostfs}.
 */
package dev.preflight.agent.node;
