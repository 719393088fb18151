package dev.preflight.agent.hostfs;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** A network interface from /sys/class/net/IF with its addresses from procfs. */
public record NetInterface(String name, int ifindex, String operstate, boolean adminUp, int mtu, OptionalLong speedMbps,
        boolean physical, List<ProcNet.Address> addresses) {
    /**
     * IFF_RUNNING, the flag NCCL requires of a socket interface: administratively up and
     * operationally up (or "unknown", as loopback and some virtual devices report).
     */
    public boolean running() {
        return adminUp && (operstate.equals("up") || operstate.equals("unknown"));
    }

    public Optional<ProcNet.Address> firstIpv4() {
        return addresses.stream().filter(address -> !address.ipv6()).findFirst();
    }

    /** Names NCCL's default choice can land on although peers on other nodes cannot reach them. */
    public Optional<String> suspicious() {
        String[][] prefixes = {
            {"lo", "the loopback interface"},
            {"docker", "a Docker bridge"},
            {"veth", "one end of a container veth pair"},
            {"cni", "a CNI bridge"},
            {"flannel", "a flannel overlay"},
            {"cali", "a Calico pod interface"},
            {"virbr", "a libvirt bridge"},
            {"tailscale", "a Tailscale tunnel"},
            {"kube-ipvs", "kube-proxy's IPVS dummy interface"},
        };
        for (String[] prefix : prefixes) {
            if (name.startsWith(prefix[0])) {
                return Optional.of(prefix[1]);
            }
        }
        return Optional.empty();
    }

    public String describe() {
        StringBuilder out = new StringBuilder(name).append(" (").append(operstate).append(", mtu ").append(mtu);
        if (speedMbps.isPresent() && speedMbps.getAsLong() > 0) {
            out.append(", ").append(speedMbps.getAsLong()).append(" Mb/s");
        }
        out.append(addresses.isEmpty() ? ", no address" : ", " + addresses.get(0));
        return out.append(')').toString();
    }
}
