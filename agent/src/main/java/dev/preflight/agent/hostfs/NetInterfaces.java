package dev.preflight.agent.hostfs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The interfaces of the judged network namespace (the host's, PID 1's, with --host-views) in
 * ifindex order, the order getifaddrs() and so NCCL see them. {@code process} names whose
 * namespace's addresses are read: "1" (the host's init) or "self".
 */
public final class NetInterfaces {
    private static final int IFF_UP = 0x1;
    /** Loopback's 64 KiB is the largest MTU Linux sets (IP's own limit). */
    private static final int MAX_MTU = 65536;

    private NetInterfaces() {}

    public static List<NetInterface> read(HostReader context, String process) throws IOException, MalformedInputException {
        List<ProcNet.Address> addresses = addresses(context, process);
        Path root = context.fs().sys("class/net");
        List<NetInterface> interfaces = new ArrayList<>();
        for (String name : context.list(root)) {
            Path dir = root.resolve(name);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            int ifindex = ifindex(context, dir.resolve("ifindex"));
            String operstate = context.readIfPresent(dir.resolve("operstate")).map(SysfsValues::value).orElse("unknown");
            Path flagsPath = dir.resolve("flags");
            Optional<String> flags = context.readIfPresent(flagsPath);
            boolean adminUp = flags.isEmpty() || (SysfsValues.hex(flagsPath.toString(), flags.get()) & IFF_UP) != 0;
            Path mtuPath = dir.resolve("mtu");
            int mtu = (int) SysfsValues.decimal(mtuPath.toString(), context.read(mtuPath), 0, MAX_MTU);
            OptionalLong speed = OptionalLong.empty();
            try {
                Path speedPath = dir.resolve("speed");
                Optional<String> value = context.readIfPresent(speedPath);
                if (value.isPresent()) {
                    speed = OptionalLong.of(SysfsValues.decimal(speedPath.toString(), value.get()));
                }
            } catch (IOException e) {
                // The kernel refuses (EINVAL) to report the speed of a link that is down.
            }
            List<ProcNet.Address> own = new ArrayList<>();
            for (ProcNet.Address address : addresses) {
                if (address.iface().equals(name)) {
                    own.add(address);
                }
            }
            interfaces.add(new NetInterface(name, ifindex, operstate, adminUp, mtu, speed,
                    Files.exists(dir.resolve("device")), List.copyOf(own)));
        }
        interfaces.sort(Comparator.comparingInt(NetInterface::ifindex));
        return List.copyOf(interfaces);
    }

    /**
     * The interface's index, which only orders it: an unreadable or malformed one (recorded as
     * evidence by the read) sorts it last instead of costing every fabric check the whole list, as
     * a named interface's existence or an address does not depend on it.
     */
    private static int ifindex(HostReader context, Path path) {
        try {
            return (int) SysfsValues.decimal(path.toString(), context.read(path), 1, Integer.MAX_VALUE - 1);
        } catch (IOException | MalformedInputException e) {
            context.evidence(path.toString(), "(not used: " + e.getMessage() + "; ordered last)");
            return UNKNOWN_IFINDEX;
        }
    }

    /** Sorts after every real index (the kernel's are positive ints far below this). */
    static final int UNKNOWN_IFINDEX = Integer.MAX_VALUE;

    /** IPv4 from net/fib_trie and net/route, IPv6 from net/if_inet6; absent files mean no addresses of that kind. */
    static List<ProcNet.Address> addresses(HostReader context, String process) throws IOException, MalformedInputException {
        Path routePath = context.fs().proc(process + "/net/route");
        Path triePath = context.fs().proc(process + "/net/fib_trie");
        Path inet6Path = context.fs().proc(process + "/net/if_inet6");
        Optional<String> route = context.readIfPresent(routePath);
        Optional<String> trie = context.readIfPresent(triePath);
        Optional<String> inet6 = context.readIfPresent(inet6Path);
        List<ProcNet.Route> routes = route.isPresent() ? ProcNet.parseRoutes(routePath.toString(), route.get()) : List.of();
        Set<String> local = trie.isPresent() ? ProcNet.parseLocalAddresses(triePath.toString(), trie.get()) : Set.of();
        List<ProcNet.Address> ipv6 = inet6.isPresent() ? ProcNet.parseInet6(inet6Path.toString(), inet6.get()) : List.of();
        return ProcNet.addresses(routes, local, ipv6);
    }

    public static Optional<NetInterface> named(List<NetInterface> interfaces, String name) {
        return interfaces.stream().filter(candidate -> candidate.name().equals(name)).findFirst();
    }
}
