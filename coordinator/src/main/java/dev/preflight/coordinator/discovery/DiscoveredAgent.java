package dev.preflight.coordinator.discovery;

import dev.preflight.agent.net.HostPort;

/**
 * An agent to call: where it is, and how it was found (reported as evidence and in errors).
 *
 * @param origin "hostfile nodes.txt:3", "slurm", "dns:///agents.preflight.svc:7744", "--agents"
 */
public record DiscoveredAgent(HostPort address, String origin) {}
