package dev.preflight.agent.hostfs;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The network namespace's addresses as procfs shows them: net/route (the connected IPv4 routes,
 * per interface), net/fib_trie (every local IPv4 address) and net/if_inet6 (IPv6 addresses with
 * their interface). procfs has no per-interface IPv4 list, so an IPv4 address belongs to the
 * interface whose connected route holds it (the longest prefix wins), as ip(8) would show it.
 */
public final class ProcNet {
    /** One connected or gateway route of net/route. */
    public record Route(String iface, long destination, long gateway, long mask, int flags) {
        static final int RTF_UP = 0x1;
        static final int RTF_GATEWAY = 0x2;

        public boolean isDefault() {
            return destination == 0 && mask == 0 && (flags & RTF_UP) != 0;
        }

        boolean connected() {
            return (flags & RTF_UP) != 0 && (flags & RTF_GATEWAY) == 0 && gateway == 0;
        }

        public int prefixLength() {
            return Long.bitCount(mask);
        }
    }

    /** An address of an interface. */
    public record Address(String iface, String address, boolean ipv6, int prefixLength, boolean linkLocal,
            boolean loopback) {
        @Override
        public String toString() {
            return address + "/" + prefixLength;
        }
    }

    private ProcNet() {}

    /** net/route: a header, then tab-separated fields with addresses in host (little-endian) hex. */
    public static List<Route> parseRoutes(String source, String content) throws MalformedInputException {
        String[] lines = content.split("\n");
        if (lines.length == 0 || !lines[0].startsWith("Iface")) {
            throw new MalformedInputException(source, content, "the routing table with an 'Iface Destination Gateway ...' header");
        }
        List<Route> routes = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            String[] fields = lines[i].strip().split("\\s+");
            if (fields.length < 8) {
                throw new MalformedInputException(source, lines[i], "a route line 'Iface Destination Gateway Flags RefCnt Use Metric Mask ...'");
            }
            try {
                routes.add(new Route(fields[0], littleEndian(fields[1]), littleEndian(fields[2]), littleEndian(fields[7]),
                        Integer.parseInt(fields[3], 16)));
            } catch (NumberFormatException e) {
                throw new MalformedInputException(source, lines[i], "hexadecimal destination, gateway, flags and mask");
            }
        }
        return routes;
    }

    /** The local IPv4 addresses of net/fib_trie: the "|-- a.b.c.d" lines followed by "/32 host LOCAL". */
    public static Set<String> parseLocalAddresses(String source, String content) throws MalformedInputException {
        if (!content.isBlank() && !content.startsWith("Main:") && !content.startsWith("Local:")
                && !content.startsWith("Id ")) {
            throw new MalformedInputException(source, content, "the FIB trie dump starting with 'Main:' or 'Local:'");
        }
        Set<String> local = new LinkedHashSet<>();
        String candidate = null;
        for (String raw : content.split("\n")) {
            String line = raw.strip();
            if (line.startsWith("|-- ")) {
                candidate = line.substring(4).strip();
            } else if (line.startsWith("/32 host LOCAL") && candidate != null) {
                local.add(candidate);
            } else if (line.startsWith("+-- ")) {
                candidate = null;
            }
        }
        return local;
    }

    /** net/if_inet6: "address32hex ifindex prefixlen scope flags name". */
    public static List<Address> parseInet6(String source, String content) throws MalformedInputException {
        List<Address> addresses = new ArrayList<>();
        for (String line : content.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.strip().split("\\s+");
            if (fields.length < 6 || fields[0].length() != 32) {
                throw new MalformedInputException(source, line, "an if_inet6 line 'address ifindex prefixlen scope flags name'");
            }
            try {
                int prefix = Integer.parseInt(fields[2], 16);
                int scope = Integer.parseInt(fields[3], 16);
                String address = ipv6(fields[0]);
                addresses.add(new Address(fields[5], address, true, prefix, scope == 0x20, scope == 0x10));
            } catch (NumberFormatException e) {
                throw new MalformedInputException(source, line, "hexadecimal address, prefix length and scope");
            }
        }
        return addresses;
    }

    /** Every interface address: IPv4 attributed through the connected routes, then IPv6. */
    public static List<Address> addresses(List<Route> routes, Set<String> localIpv4, List<Address> ipv6) {
        List<Address> addresses = new ArrayList<>();
        for (String ip : localIpv4) {
            long value = ipv4Value(ip);
            Route best = null;
            for (Route route : routes) {
                if (route.connected() && (value & route.mask()) == route.destination()
                        && (best == null || route.prefixLength() > best.prefixLength())) {
                    best = route;
                }
            }
            boolean loopback = ip.startsWith("127.");
            if (best == null && !loopback) {
                continue;
            }
            addresses.add(new Address(loopback ? "lo" : best.iface(), ip, false, loopback ? 8 : best.prefixLength(),
                    ip.startsWith("169.254."), loopback));
        }
        addresses.addAll(ipv6);
        return addresses;
    }

    /** procfs prints IPv4 in the host's byte order; x86 and arm64 are little-endian. */
    static long littleEndian(String hex) {
        long value = Long.parseLong(hex, 16);
        return ((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >> 8) & 0xff00) | ((value >> 24) & 0xff);
    }

    public static long ipv4Value(String dotted) {
        String[] parts = dotted.split("\\.");
        if (parts.length != 4) {
            throw new NumberFormatException("not an IPv4 address: " + dotted);
        }
        long value = 0;
        for (String part : parts) {
            int octet = Integer.parseInt(part);
            if (octet < 0 || octet > 255) {
                throw new NumberFormatException("not an IPv4 address: " + dotted);
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    public static String ipv4String(long value) {
        return ((value >> 24) & 0xff) + "." + ((value >> 16) & 0xff) + "." + ((value >> 8) & 0xff) + "." + (value & 0xff);
    }

    /** Compressed text form (RFC 5952) of a 32-hex-digit IPv6 address. */
    static String ipv6(String hex) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = Integer.parseInt(hex.substring(i * 4, i * 4 + 4), 16);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]).toLowerCase(Locale.ROOT));
        }
        return out.toString();
    }
}
