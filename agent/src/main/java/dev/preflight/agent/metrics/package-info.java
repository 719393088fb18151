/**
 * The daemon's exports: Prometheus metrics and /healthz over plain HTTP, the periodic re-run of
 * host-scoped checks, node-feature-discovery labels, and bench figures as samples.
 *
 * <p>May import: {@code check}, {@code security}.
 */
package dev.preflight.agent.metrics;
