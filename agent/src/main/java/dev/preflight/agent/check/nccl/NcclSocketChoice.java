package dev.preflight.agent.check.nccl;

import dev.preflight.agent.hostfs.NetInterface;
import dev.preflight.agent.hostfs.ProcNet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The interfaces NCCL would pick for its bootstrap and socket traffic (ncclFindInterfaces in NCCL's
 * misc/socket.cc): NCCL_SOCKET_IFNAME when it is longer than one character, else the first of
 * "ib", "^docker,lo,virbr", "docker", "lo", "virbr" that matches anything. Candidates come in
 * getifaddrs() order — IPv4 addresses by interface index, then IPv6 — and must be running;
 * NCCL_SOCKET_FAMILY (AF_INET/AF_INET6) narrows them; IPv6 loopback never counts; an interface
 * counts once, with its first address. The bootstrap uses the first.
 */
public final class NcclSocketChoice {
    public static final String SOCKET_IFNAME = "NCCL_SOCKET_IFNAME";
    public static final String SOCKET_FAMILY = "NCCL_SOCKET_FAMILY";
    static final String[] DEFAULT_ORDER = {"ib", "^docker,lo,virbr", "docker", "lo", "virbr"};

    /** An interface NCCL would use and the address it would advertise. */
    public record Pick(NetInterface iface, ProcNet.Address address) {
        @Override
        public String toString() {
            return iface.name() + " " + address.address();
        }
    }

    /**
     * What NCCL makes of the environment: the list it applied ({@code rule}), whether that came
     * from NCCL_SOCKET_IFNAME, and the interfaces it found.
     */
    public record Result(String rule, boolean fromEnvironment, boolean ifnameIgnored, List<Pick> picks) {
        public Optional<Pick> bootstrap() {
            return picks.isEmpty() ? Optional.empty() : Optional.of(picks.get(0));
        }
    }

    private NcclSocketChoice() {}

    public static Result choose(Optional<String> ifname, Optional<String> family, List<NetInterface> interfaces) {
        int familyFilter = family.map(value -> value.equals("AF_INET") ? 4 : value.equals("AF_INET6") ? 6 : 0).orElse(0);
        List<Pick> ordered = ordered(interfaces, familyFilter);
        // NCCL ignores a value of one character (strlen(env) > 1).
        boolean ignored = ifname.isPresent() && ifname.get().length() <= 1;
        if (ifname.isPresent() && !ignored) {
            return new Result(ifname.get(), true, false, find(ifname.get(), ordered));
        }
        for (String rule : DEFAULT_ORDER) {
            List<Pick> picks = find(rule, ordered);
            if (!picks.isEmpty()) {
                return new Result(rule, false, ignored, picks);
            }
        }
        return new Result(DEFAULT_ORDER[DEFAULT_ORDER.length - 1], false, ignored, List.of());
    }

    static List<Pick> find(String list, List<Pick> ordered) {
        NcclNameList names = NcclNameList.parse(list, NcclNameList.MAX_SOCKET_INTERFACES);
        List<Pick> found = new ArrayList<>();
        for (Pick candidate : ordered) {
            if (found.size() == NcclNameList.MAX_SOCKET_INTERFACES) {
                break;
            }
            if (!names.selects(candidate.iface().name(), -1)) {
                continue;
            }
            if (found.stream().noneMatch(pick -> pick.iface().name().equals(candidate.iface().name()))) {
                found.add(candidate);
            }
        }
        return found;
    }

    private static List<Pick> ordered(List<NetInterface> interfaces, int familyFilter) {
        List<Pick> ordered = new ArrayList<>();
        for (boolean ipv6 : new boolean[] {false, true}) {
            if ((familyFilter == 4 && ipv6) || (familyFilter == 6 && !ipv6)) {
                continue;
            }
            for (NetInterface iface : interfaces) {
                if (!iface.running()) {
                    continue;
                }
                for (ProcNet.Address address : iface.addresses()) {
                    if (address.ipv6() == ipv6 && !(ipv6 && address.loopback())) {
                        ordered.add(new Pick(iface, address));
                    }
                }
            }
        }
        return ordered;
    }
}
