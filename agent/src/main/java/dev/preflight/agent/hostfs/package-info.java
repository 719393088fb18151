/**
 * The node's files seen through the movable roots, read one way ({@link dev.preflight.agent.hostfs.BoundedFile}:
 * regular files only, bounded in bytes and time) and parsed by pure functions of their content.
 *
 * <p>The bottom layer of the agent: it imports no other agent package (only the shared units and
 * text helpers of the proto module), so the checks, the GPU inventory and the coordinator can all
 * build on it without a cycle.
 *
 * <p>May import: no other agent package.
 */
package dev.preflight.agent.hostfs;
