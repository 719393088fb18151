/**
 * The check framework: {@link dev.preflight.agent.check.Check} (one declaration per check, found
 * through {@code META-INF/services}), the catalog, the runner with its per-check deadline, the
 * context every read goes through, the findings, and what the checks judge with ({@link
 * dev.preflight.agent.check.CheckSettings}). The checks themselves live in the subpackages, one per
 * area of their ids.
 *
 * <p>May import: {@code gpu}, {@code hostfs}, {@code net}.
 */
package dev.preflight.agent.check;
