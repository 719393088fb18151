/**
 * The node agent: what runs on every GPU node and answers the coordinator (node info, checks, the
 * NCCL bench, host-network probes). This package assembles the agent's settings from one object
 * per concern ({@link dev.preflight.agent.AgentSettings}).
 *
 * <p>The agent's packages form layers: a package imports only the agent packages listed after it
 * here, never the other way, so no two packages import each other. PackageMapTest reads this map
 * and each package's own "May import" line and fails the build on an import the map does not allow;
 * docs/package-map.md draws it. Imports outside the agent (proto, grpc, the JDK) are not limited.
 *
 * <pre>
 * server:        (root), bench, check, gpu, hostfs, hostnet, node, security
 * (root):        bench, check, gpu
 * metrics:       check, security
 * node:          gpu, hostfs
 * bench:         gpu, hostfs, security
 * check.fabric:  check, check.nccl, hostfs
 * check.host:    check, check.nccl, hostfs
 * check.gpu:     check, gpu, hostfs
 * check.storage: check, hostfs
 * check.nccl:    check, hostfs
 * check:         gpu, hostfs, net
 * gpu:           hostfs
 * security:      hostfs
 * hostnet:       (none)
 * net:           (none)
 * hostfs:        (none)
 * </pre>
 *
 * <p>May import: {@code bench}, {@code check}, {@code gpu}.
 */
package dev.preflight.agent;
