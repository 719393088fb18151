/**
 * The storage.* checks: the model store, its filesystem, free space and manifest, and an on-demand
 * sequential read projecting the load time.
 *
 * <p>May import: {@code check}, {@code hostfs}.
 */
package dev.preflight.agent.check.storage;
