/**
 * Host-network probes between agents without NCCL: the HostNet service, its short-lived TCP data
 * listeners and the peer probe measuring throughput and latency to another agent's listener.
 *
 * <p>May import: no other agent package.
 */
package dev.preflight.agent.hostnet;
