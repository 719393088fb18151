package dev.preflight.coordinator.fanout;

import io.grpc.ManagedChannel;

/** One agent to talk to: the address as the user gave it, and a channel to it. */
public record AgentTarget(String address, ManagedChannel channel) {}
