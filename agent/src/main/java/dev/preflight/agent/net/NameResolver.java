package dev.preflight.agent.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** Resolves a host name the way the system's resolver does; a port so tests need no DNS. */
@FunctionalInterface
public interface NameResolver {
    NameResolver SYSTEM = name -> List.of(InetAddress.getAllByName(name));

    /** @throws UnknownHostException when the name does not resolve */
    List<InetAddress> resolve(String name) throws UnknownHostException;
}
