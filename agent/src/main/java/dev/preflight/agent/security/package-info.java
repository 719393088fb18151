/**
 * What the agent admits and trusts: TLS for server and client, bearer tokens, the interceptor that
 * checks both, loopback detection, and the NCCL settings a request may choose.
 *
 * <p>May import: {@code hostfs}.
 */
package dev.preflight.agent.security;
