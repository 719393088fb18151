package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.HostViews;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.check.nccl.NcclEnvNames;
import dev.preflight.agent.check.nccl.NcclGdrLevel;
import dev.preflight.agent.check.nccl.NcclNameList;
import dev.preflight.agent.check.nccl.NcclSocketChoice;
import dev.preflight.agent.hostfs.NetInterface;
import dev.preflight.agent.hostfs.PathType;
import dev.preflight.agent.hostfs.ProcNet;
import dev.preflight.agent.hostfs.RailMap;
import dev.preflight.agent.hostfs.RdmaDevice;
import dev.preflight.agent.hostfs.RdmaDevices;
import dev.preflight.agent.hostfs.RdmaPort;
import dev.preflight.agent.hostfs.RoceGids;
import dev.preflight.proto.v1.RecommendedNcclSetting;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The NCCL_* environment, read with NCCL's own rules: NCCL_IB_HCA's prefix matching and :port,
 * NCCL_IB_DISABLE while RDMA ports are up, NCCL_NET_GDR_LEVEL's names and legacy integers,
 * NCCL_P2P_DISABLE and NCCL_SHM_DISABLE, and names NCCL does not read (a typo is ignored without a
 * word). Next to what is set, the settings this node should run with: the interface, the HCAs and
 * ports that are up, the RoCE v2 GID index, the GDR level.
 */
public final class NcclEnvCheck extends Check {
    public static final String ID = "fabric.nccl_env";
    static final String IB_DISABLE = "NCCL_IB_DISABLE";
    static final String GDR_LEVEL = "NCCL_NET_GDR_LEVEL";
    static final String P2P_DISABLE = "NCCL_P2P_DISABLE";
    static final String SHM_DISABLE = "NCCL_SHM_DISABLE";

    static final String HCA_REMEDIATION = "list the rail HCAs exactly: NCCL_IB_HCA='=mlx5_0:1,mlx5_1:1,...' "
            + "(see the recommended settings)";
    static final String NAME_REMEDIATION = "correct the variable's name (NCCL reads only its exact, upper-case names)";

    public NcclEnvCheck() {
        super(ID, Scope.PROCESS,
                "NCCL_* settings read with NCCL's rules (IB_HCA prefixes and ports, IB_DISABLE, NET_GDR_LEVEL, P2P/SHM_DISABLE, misspelt names); recommended settings for this node");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        Map<String, String> env = context.settings().ncclEnv();
        FabricView fabric = FabricView.read(context);
        List<NetInterface> interfaces = context.host().interfaces(context, HostViews.process(context));
        Optional<String> gpudirect = GpuDirectCheck.mechanism(context);
        Tally outcome = new Tally();
        judgeNames(env, outcome);
        judgeIbHca(fabric, outcome);
        judgeSwitches(env, fabric, outcome);
        judgeGdrLevel(env, fabric, gpudirect, outcome);

        List<RecommendedNcclSetting> recommended = recommend(context, env, fabric, interfaces, gpudirect);
        List<String> set = new ArrayList<>();
        env.forEach((name, value) -> set.add(name + "=" + value));
        List<String> advice = new ArrayList<>();
        for (RecommendedNcclSetting setting : recommended) {
            advice.add(setting.getName() + "=" + setting.getRecommended());
        }
        Finding finding = outcome.finding(env.isEmpty() ? "no NCCL_* variable set; NCCL's defaults apply"
                : env.size() + " NCCL_* variable(s) set, none in conflict with this node");
        recommended.forEach(finding::ncclSetting);
        return finding.observed(set.isEmpty() ? "(no NCCL_* variable set)" : String.join(" ", set))
                .expected(advice.isEmpty() ? "no setting to recommend" : "recommended for this node: " + String.join(" ", advice));
    }

    static void judgeNames(Map<String, String> env, Tally outcome) {
        for (String name : env.keySet()) {
            NcclEnvNames.Judgement judgement = NcclEnvNames.judge(name);
            switch (judgement.kind()) {
                case MISSPELLED:
                    outcome.warn(name + " is not an NCCL variable - did you mean " + judgement.suggestion().orElseThrow()
                            + "? NCCL ignores it", NAME_REMEDIATION);
                    break;
                case RENAMED:
                    outcome.warn(name + " is no longer read; NCCL reads " + judgement.suggestion().orElseThrow() + " instead",
                            NAME_REMEDIATION);
                    break;
                case UNKNOWN:
                    outcome.note(name + " is not an NCCL variable this agent knows (a plugin's?)");
                    break;
                default:
                    break;
            }
        }
    }

    static void judgeIbHca(FabricView fabric, Tally outcome) {
        Optional<NcclNameList> hca = fabric.ibHca();
        List<RdmaPort> ports = RdmaDevices.ports(fabric.devices());
        if (hca.isPresent()) {
            NcclNameList list = hca.get();
            if (list.ignored() > 0) {
                outcome.warn(FabricView.IB_HCA + " has more than " + NcclNameList.MAX_IB_DEVICES + " entries; NCCL drops the last "
                        + list.ignored(), HCA_REMEDIATION);
            }
            for (NcclNameList.Entry entry : list.entries()) {
                List<String> devices = new ArrayList<>();
                boolean portFound = false;
                for (RdmaDevice device : fabric.devices()) {
                    if (!list.entriesMatching(device.name()).contains(entry)) {
                        continue;
                    }
                    devices.add(device.name());
                    portFound |= entry.port() < 0 || device.ports().stream().anyMatch(port -> port.number() == entry.port());
                }
                if (devices.isEmpty()) {
                    String problem = FabricView.IB_HCA + " entry '" + entry + "' matches no RDMA device";
                    if (list.exclude()) {
                        outcome.note(problem);
                    } else {
                        outcome.fail(problem + " (devices: " + deviceNames(fabric) + ")", HCA_REMEDIATION);
                    }
                } else if (!portFound) {
                    outcome.fail(FabricView.IB_HCA + " entry '" + entry + "' names port " + entry.port() + ", which "
                            + String.join(", ", devices) + " does not have", HCA_REMEDIATION);
                } else if (!list.exact() && devices.size() > 1 && devices.contains(entry.prefix())) {
                    devices.remove(entry.prefix());
                    outcome.warn(FabricView.IB_HCA + " entry '" + entry + "' is a prefix without '=': it also selects "
                            + String.join(", ", devices), HCA_REMEDIATION);
                }
            }
            for (RailMap.Rail rail : fabric.rails()) {
                boolean selected = rail.nic().ports().stream().anyMatch(port -> list.selects(port.device(), port.number()));
                if (!selected) {
                    outcome.warn(FabricView.IB_HCA + "=" + list.raw() + " leaves out " + rail.nic().name() + ", the nearest NIC of GPU"
                            + rail.gpuIndex() + ": its traffic crosses to a farther NIC", HCA_REMEDIATION);
                }
            }
        }
        List<RdmaPort> used = new ArrayList<>();
        for (RdmaPort port : ports) {
            if (fabric.ncclUses(port)) {
                used.add(port);
            }
        }
        if (hca.isPresent() && used.isEmpty() && ports.stream().anyMatch(RdmaPort::active)) {
            outcome.fail(FabricView.IB_HCA + "=" + hca.get().raw() + " selects no active port: NCCL falls back to TCP sockets",
                    HCA_REMEDIATION);
        }
        Set<String> layers = new TreeSet<>();
        used.forEach(port -> layers.add(port.linkLayer()));
        if (layers.size() > 1) {
            List<String> ethernet = new ArrayList<>();
            used.stream().filter(RdmaPort::ethernet).forEach(port -> ethernet.add(port.id()));
            outcome.warn("NCCL would use InfiniBand and Ethernet (RoCE) ports together ("
                    + (hca.isPresent() ? FabricView.IB_HCA + "=" + hca.get().raw() : FabricView.IB_HCA + " unset") + " includes "
                    + String.join(", ", ethernet) + "): a front-end or management port among the rails hangs or slows collectives",
                    HCA_REMEDIATION);
        }
    }

    static void judgeSwitches(Map<String, String> env, FabricView fabric, Tally outcome) {
        Optional<Long> ibDisable = integer(env, IB_DISABLE, outcome);
        boolean rdmaUp = RdmaDevices.ports(fabric.devices()).stream().anyMatch(RdmaPort::active);
        if (ibDisable.orElse(0L) == 1 && rdmaUp) {
            outcome.fail(IB_DISABLE + "=1 while RDMA ports are ACTIVE: NCCL uses TCP sockets, 10-100x slower",
                    "unset " + IB_DISABLE + " (or set it to 0)");
        }
        if (integer(env, P2P_DISABLE, outcome).orElse(0L) == 1) {
            outcome.warn(P2P_DISABLE + "=1: GPUs inside the node stop using NVLink/PCIe peer access and go through host memory, "
                    + "which slows tensor-parallel all-reduce", "unset " + P2P_DISABLE + " unless it works around a known fault");
        }
        if (integer(env, SHM_DISABLE, outcome).orElse(0L) == 1) {
            outcome.warn(SHM_DISABLE + "=1: intra-node traffic that cannot use P2P goes through the network instead of shared memory",
                    "unset " + SHM_DISABLE + " unless it works around a known fault");
        }
        integer(env, RoceGidCheck.GID_INDEX, outcome);
        integer(env, RoceQosCheck.IB_TC, outcome);
    }

    /** NCCL reads integer parameters with strtoll and falls back to the default on garbage. */
    private static Optional<Long> integer(Map<String, String> env, String name, Tally outcome) {
        String value = env.get(name);
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.decode(value.strip()));
        } catch (NumberFormatException e) {
            outcome.warn(name + "=" + value + " is not an integer: NCCL ignores it and keeps its default",
                    "set " + name + " to an integer");
            return Optional.empty();
        }
    }

    static void judgeGdrLevel(Map<String, String> env, FabricView fabric, Optional<String> gpudirect, Tally outcome) {
        String raw = env.get(GDR_LEVEL);
        if (raw == null) {
            return;
        }
        NcclGdrLevel level = NcclGdrLevel.parse(raw);
        String remediation = "set " + GDR_LEVEL + " to a path type name (LOC, PIX, PXB, PHB, SYS) that covers the rails";
        if (level.form() == NcclGdrLevel.Form.IGNORED) {
            outcome.warn(GDR_LEVEL + "=" + level.describe(), remediation);
            return;
        }
        PathType type = level.level().orElseThrow();
        if (type == PathType.LOC) {
            outcome.warn(GDR_LEVEL + "=" + level.describe() + ": GPUDirect RDMA is off for every NIC", remediation);
            return;
        }
        for (RailMap.Rail rail : fabric.rails()) {
            if (!rail.path().within(type)) {
                outcome.warn(GDR_LEVEL + "=" + level.describe() + " is nearer than GPU" + rail.gpuIndex() + "'s rail to "
                        + rail.nic().name() + " (" + rail.path() + "): GPUDirect RDMA is off on that rail", remediation);
            }
        }
        if (gpudirect.isEmpty() && !fabric.rails().isEmpty()) {
            outcome.note(GDR_LEVEL + " is set but GPUDirect RDMA is unavailable (see fabric.gpudirect)");
        }
    }

    static List<RecommendedNcclSetting> recommend(CheckContext context, Map<String, String> env, FabricView fabric,
            List<NetInterface> interfaces, Optional<String> gpudirect) throws Exception {
        List<RecommendedNcclSetting> settings = new ArrayList<>();
        List<RdmaPort> hcaPorts = recommendedPorts(fabric);
        if (!hcaPorts.isEmpty()) {
            Set<String> ids = new LinkedHashSet<>();
            hcaPorts.forEach(port -> ids.add(port.id()));
            settings.add(setting(env, FabricView.IB_HCA, "=" + String.join(",", ids),
                    fabric.rails().isEmpty() ? "the active InfiniBand ports, named exactly"
                            : "each GPU's nearest NIC (the rails), ports that are up, named exactly"));
            if (hcaPorts.stream().allMatch(RdmaPort::ethernet)) {
                Set<Integer> indexes = new TreeSet<>();
                for (RdmaPort port : hcaPorts) {
                    context.host().gids(context, port).stream()
                            .filter(gid -> gid.roceVersion() == 2 && gid.ipv4Mapped())
                            .map(RoceGids.Gid::index).findFirst().ifPresent(indexes::add);
                }
                if (indexes.size() == 1) {
                    settings.add(setting(env, RoceGidCheck.GID_INDEX, String.valueOf(indexes.iterator().next()),
                            "the RoCE v2 GID carrying the port's IPv4 address, the same on every rail"));
                }
            }
            if (env.containsKey(IB_DISABLE) && !env.get(IB_DISABLE).strip().equals("0")) {
                settings.add(setting(env, IB_DISABLE, "0", "RDMA ports are up"));
            }
        }
        Optional<String> socket = recommendedInterface(env, interfaces);
        socket.ifPresent(name -> settings.add(setting(env, NcclSocketChoice.SOCKET_IFNAME, "=" + name,
                "a running interface with a routable address, named exactly")));
        if (gpudirect.isPresent() && !fabric.rails().isEmpty()) {
            PathType worst = PathType.PIX;
            for (RailMap.Rail rail : fabric.rails()) {
                if (rail.path().compareTo(worst) > 0) {
                    worst = rail.path();
                }
            }
            PathType level = worst.within(PathType.PHB) ? worst : PathType.PHB;
            settings.add(setting(env, GDR_LEVEL, level.name(), "GPUDirect RDMA (" + gpudirect.get() + ") on every rail up to "
                    + level + (level == worst ? "" : "; rails across sockets (" + worst + ") stay off GPUDirect")));
        }
        return settings;
    }

    /** The rails' active ports; with no GPU visible, the active InfiniBand ports. */
    static List<RdmaPort> recommendedPorts(FabricView fabric) {
        List<RdmaPort> ports = new ArrayList<>();
        if (!fabric.rails().isEmpty()) {
            for (RailMap.Rail rail : fabric.rails()) {
                rail.nic().ports().stream().filter(RdmaPort::active).forEach(ports::add);
            }
            return ports;
        }
        for (RdmaPort port : RdmaDevices.ports(fabric.devices())) {
            if (port.active() && port.infiniband()) {
                ports.add(port);
            }
        }
        return ports;
    }

    /** NCCL's own pick if it is sound, else the first running interface with a routable IPv4 address. */
    static Optional<String> recommendedInterface(Map<String, String> env, List<NetInterface> interfaces) {
        NcclSocketChoice.Result result = NcclSocketChoice.choose(Optional.ofNullable(env.get(NcclSocketChoice.SOCKET_IFNAME)),
                Optional.ofNullable(env.get(NcclSocketChoice.SOCKET_FAMILY)), interfaces);
        Optional<NcclSocketChoice.Pick> pick = result.bootstrap();
        if (pick.isPresent() && sound(pick.get().iface(), pick.get().address())) {
            return Optional.of(pick.get().iface().name());
        }
        for (NetInterface iface : interfaces) {
            Optional<ProcNet.Address> address = iface.firstIpv4();
            if (iface.running() && address.isPresent() && sound(iface, address.get())) {
                return Optional.of(iface.name());
            }
        }
        return Optional.empty();
    }

    private static boolean sound(NetInterface iface, ProcNet.Address address) {
        return iface.suspicious().isEmpty() && !address.linkLocal() && !address.loopback();
    }

    private static RecommendedNcclSetting setting(Map<String, String> env, String name, String value, String reason) {
        RecommendedNcclSetting.Builder setting = RecommendedNcclSetting.newBuilder().setName(name).setRecommended(value).setReason(reason);
        String current = env.get(name);
        if (current != null) {
            setting.setCurrent(current).setIsSet(true);
        }
        return setting.build();
    }

    private static String deviceNames(FabricView fabric) {
        List<String> names = new ArrayList<>();
        fabric.devices().forEach(device -> names.add(device.name()));
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
