package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.HostViews;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.hostfs.NetInterface;
import dev.preflight.agent.hostfs.ProcNet;
import dev.preflight.agent.hostfs.RdmaPort;
import dev.preflight.agent.hostfs.RoceGids;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * On RoCE, NCCL addresses its peers by a GID index. An index that points at a link-local or RoCE v1
 * entry, or a table with no RoCE v2 IPv4 entry at all (NCCL's own pick then stays at index 0),
 * breaks right after init: "Got completion from peer ... status=12", "ibv_modify_qp failed ...
 * Network is unreachable". The entry NCCL will use must be RoCE v2 and carry the interface's IPv4
 * address.
 */
public final class RoceGidCheck extends Check {
    public static final String ID = "fabric.roce_gid";
    public static final String GID_INDEX = "NCCL_IB_GID_INDEX";

    static final String REMEDIATION = "give the RoCE interface an IPv4 address on the fabric subnet so the kernel adds "
            + "RoCE v2 GIDs, and set NCCL_IB_GID_INDEX to the RoCE v2 IPv4 entry (show_gids), the same index on every node";

    public RoceGidCheck() {
        super(ID, Scope.HOST,
                "on RoCE ports, the GID NCCL uses (NCCL_IB_GID_INDEX or NCCL's own pick) is RoCE v2 and carries the interface's IPv4 address");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        Map<String, String> env = context.settings().ncclEnv();
        List<RdmaPort> roce = fabric.roceInUse();
        if (roce.isEmpty()) {
            return Finding.skip("no active RoCE port that NCCL would use (InfiniBand ports need no GID index)");
        }
        Optional<Integer> configured = configuredIndex(env.get(GID_INDEX));
        boolean ipv4Family = !"AF_INET6".equals(env.get("NCCL_IB_ADDR_FAMILY"));
        int version = parseVersion(env.get("NCCL_IB_ROCE_VERSION_NUM"));
        Optional<String> range = Optional.ofNullable(env.get("NCCL_IB_ADDR_RANGE"));
        List<ProcNet.Address> addresses = new ArrayList<>();
        for (NetInterface iface : context.host().interfaces(context, HostViews.process(context))) {
            addresses.addAll(iface.addresses());
        }
        Tally outcome = new Tally();
        List<String> observed = new ArrayList<>();
        List<String> chosen = new ArrayList<>();
        List<String[]> perPort = new ArrayList<>();
        for (RdmaPort port : roce) {
            List<RoceGids.Gid> table = context.host().gids(context, port);
            int auto = RoceGids.ncclAutoIndex(table, ipv4Family, version, range);
            int index = configured.orElse(auto);
            String how = configured.isPresent() ? GID_INDEX + "=" + index : "NCCL's own pick";
            Optional<RoceGids.Gid> entry = table.stream().filter(gid -> gid.index() == index).findFirst();
            List<String> populated = new ArrayList<>();
            for (RoceGids.Gid gid : table) {
                if (!gid.zero()) {
                    populated.add(gid.describe());
                }
            }
            observed.add(port.id() + " [" + String.join(", ", populated) + "] uses " + index + " (" + how + ")");
            boolean required = fabric.required(port);
            String problem = problem(port, index, how, entry, addresses);
            if (problem != null) {
                if (required) {
                    outcome.fail(problem + " (" + String.join(", ", fabric.requirements(port)) + ")", REMEDIATION);
                } else {
                    outcome.warn(problem, REMEDIATION);
                }
            } else {
                chosen.add(port.id() + " index " + index + " " + entry.get().ipv4().orElse(entry.get().text()));
            }
            perPort.add(new String[] {port.id(), String.valueOf(index)});
        }
        Finding finding = outcome.finding("RoCE v2 GIDs with IPv4 addresses in use: " + String.join(", ", chosen));
        for (String[] port : perPort) {
            finding.fact("roce_gid_index", port[1], port[0]);
        }
        return finding.observed(String.join("; ", observed))
                .expected("a RoCE v2 GID carrying the interface's IPv4 address at the index NCCL uses");
    }

    private static String problem(RdmaPort port, int index, String how, Optional<RoceGids.Gid> entry,
            List<ProcNet.Address> addresses) {
        if (entry.isEmpty()) {
            return port.id() + ": " + how + " is past the end of its GID table";
        }
        RoceGids.Gid gid = entry.get();
        if (gid.zero()) {
            return port.id() + ": " + how + " points at an empty GID entry";
        }
        if (gid.roceVersion() != 2) {
            return port.id() + ": " + how + " is " + gid.describe() + ", RoCE " + (gid.roceVersion() == 1 ? "v1" : "of unknown version")
                    + " - not routable across subnets";
        }
        if (!gid.ipv4Mapped()) {
            return port.id() + ": " + how + " is " + gid.describe() + ", " + (gid.linkLocal() ? "a link-local" : "an IPv6")
                    + " GID - NCCL expects the IPv4 one";
        }
        String ip = gid.ipv4().orElseThrow();
        if (!addresses.isEmpty() && addresses.stream().noneMatch(address -> address.address().equals(ip))) {
            return port.id() + ": GID " + index + " carries " + ip + ", which no interface has (a stale GID?)";
        }
        return null;
    }

    static Optional<Integer> configuredIndex(String value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            int index = Integer.parseInt(value.strip());
            return index < 0 ? Optional.empty() : Optional.of(index);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static int parseVersion(String value) {
        if (value == null) {
            return 2;
        }
        try {
            return Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            return 2;
        }
    }
}
