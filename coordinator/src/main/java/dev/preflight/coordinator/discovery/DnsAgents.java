package dev.preflight.coordinator.discovery;

import dev.preflight.agent.net.HostPort;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code dns:///NAME:PORT}, gRPC's name syntax: every A and AAAA record of NAME is an agent, as a
 * Kubernetes headless Service lists its ready pods. Such a list never shows the nodes that should
 * have an agent and have none, so it always comes with an expected node set.
 */
public final class DnsAgents {
    public static final String SCHEME = "dns:";
    private static final String PREFIX = "dns:///";

    private DnsAgents() {}

    public static boolean isDns(String spec) {
        return spec.startsWith(SCHEME);
    }

    /**
     * @throws IllegalArgumentException naming the value and the form expected
     */
    public static HostPort parse(String spec) {
        if (!spec.startsWith(PREFIX)) {
            throw new IllegalArgumentException("'" + spec + "': expected dns:///NAME:PORT (a DNS server in the authority,"
                    + " dns://SERVER/NAME:PORT, is not supported: the system resolver is used)");
        }
        try {
            return HostPort.parse(spec.substring(PREFIX.length()), false);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + spec + "': expected dns:///NAME:PORT, e.g."
                    + " dns:///preflight-agent.preflight.svc.cluster.local:7744");
        }
    }

    /** The result of a lookup: the agents found, and what the lookup said, for the report's evidence. */
    public record Resolution(List<DiscoveredAgent> agents, String evidence) {}

    public static Resolution resolve(HostPort name) {
        String origin = PREFIX + name;
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(name.host());
        } catch (UnknownHostException e) {
            return new Resolution(List.of(), "no address: " + e.getMessage());
        }
        Set<String> unique = new LinkedHashSet<>();
        for (InetAddress address : addresses) {
            unique.add(address.getHostAddress());
        }
        List<DiscoveredAgent> agents = new ArrayList<>();
        for (String address : unique) {
            agents.add(new DiscoveredAgent(new HostPort(address, name.port()), origin));
        }
        return new Resolution(agents, String.join(", ", unique));
    }
}
