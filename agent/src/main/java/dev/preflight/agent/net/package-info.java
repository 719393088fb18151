/**
 * Network values: a HOST:PORT as people type it, and name resolution behind a port so tests need
 * no DNS.
 *
 * <p>May import: no other agent package.
 */
package dev.preflight.agent.net;
