/**
 * The agent's gRPC server: wires the services (node info, checks, bench, host network) from the
 * settings, each given only its own concern, on a bounded executor with request limits and health.
 *
 * <p>May import: {@code (root)}, {@code bench}, {@code check}, {@code gpu}, {@code hostfs},
 * {@code hostnet}, {@code node}, {@code security}.
 */
package dev.preflight.agent.server;
