package dev.preflight.agent.check;

import dev.preflight.proto.v1.Scope;

/**
 * One concern of a node, with a stable id ({@code <area>.<subject>}). A check reads only through
 * its {@link CheckContext} (so every read becomes evidence and goes through the movable roots) and
 * may throw: {@link CheckRunner} turns any exception into an ERROR result naming it.
 */
public interface Check {
    String id();

    Scope scope();

    /** One line of what the check verifies, for {@code preflight checks list}. */
    String description();

    Finding run(CheckContext context) throws Exception;
}
