package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.check.Threshold;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.RdmaDevices;
import dev.preflight.agent.hostfs.RdmaPort;
import dev.preflight.agent.hostfs.SysfsValues;
import dev.preflight.proto.v1.Scope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * RoCE needs a lossless class for NCCL's traffic: PFC on the priority its traffic class maps to, and
 * ECN/DCQCN (mlx5: /sys/class/net/IF/ecn/roce_np|roce_rp/enable/PRIO) so congestion slows senders
 * instead of dropping; otherwise collectives collapse under load ("status=12 vendor err 129"). The
 * traffic class NCCL sends with is NCCL_IB_TC (0 by default) unless the NIC overrides it globally
 * (mlx5 tc/PORT/traffic_class "Global tclass=N"); with DSCP trust and the default mapping its
 * priority is DSCP/8 = TC/32. PFC is configured over netlink (dcbnl) and is not in sysfs: it is
 * named for the operator to verify, not judged.
 */
public final class RoceQosCheck extends Check {
    public static final String ID = "fabric.roce_qos";
    public static final String IB_TC = "NCCL_IB_TC";

    public static final Threshold MIN_MTU = new Threshold("fabric.roce_qos.min_mtu", 4200, "bytes",
            "netdev MTU of a RoCE port below which RoCE cannot use a 4096-byte path MTU (WARN)");
    public static final List<Threshold> THRESHOLDS = List.of(MIN_MTU);

    static final String ECN_REMEDIATION = "enable DCQCN on NCCL's priority (echo 1 > /sys/class/net/IF/ecn/roce_np/enable/PRIO "
            + "and roce_rp/enable/PRIO) and PFC on it (mlnx_qos -i IF --pfc ...), matching the switches";
    static final String TC_REMEDIATION = "set NCCL_IB_TC to the fabric's lossless traffic class (e.g. 106 = DSCP 26, priority 3) "
            + "on every node, or the NIC's global traffic_class to it";
    static final String MTU_REMEDIATION = "raise the RoCE interface's MTU (9000 on the fabric) so RoCE can use 4096-byte frames";

    public RoceQosCheck() {
        super(ID, Scope.HOST,
                "on RoCE ports, NCCL's traffic class lands on a priority with ECN/DCQCN enabled, matching any NIC override; MTU fits 4096-byte RoCE frames",
                THRESHOLDS);
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        List<RdmaPort> roce = fabric.roceInUse();
        if (roce.isEmpty()) {
            return Finding.skip("no active RoCE port that NCCL would use (InfiniBand is lossless by design)");
        }
        OptionalInt ncclTc = trafficClass(context.settings().ncclEnv().get(IB_TC));
        int minMtu = (int) MIN_MTU.value(context);
        Tally outcome = new Tally();
        List<String> observed = new ArrayList<>();
        for (RdmaPort port : roce) {
            Optional<String> netdev = netdev(context, fabric, port);
            Path tcPath = RdmaDevices.root(context.fs()).resolve(port.device() + "/tc/" + port.number() + "/traffic_class");
            OptionalInt override = globalTrafficClass(tcPath, context.readIfPresent(tcPath));
            int tc = override.isPresent() ? override.getAsInt() : ncclTc.orElse(0);
            int priority = (tc >> 2) >> 3;
            StringBuilder line = new StringBuilder(port.id()).append(netdev.map(name -> " (" + name + ")").orElse(""))
                    .append(": traffic class ").append(tc)
                    .append(override.isPresent() ? " (NIC override)" : ncclTc.isPresent() ? " (" + IB_TC + ")" : " (NCCL default)")
                    .append(", priority ").append(priority);
            if (override.isPresent() && ncclTc.isPresent() && override.getAsInt() != ncclTc.getAsInt()) {
                outcome.warn(port.id() + ": the NIC's global traffic class " + override.getAsInt() + " replaces " + IB_TC + "="
                        + ncclTc.getAsInt() + " on every packet", TC_REMEDIATION);
            }
            if (netdev.isEmpty()) {
                outcome.note(port.id() + " has no network interface in sysfs: ECN and MTU not checked");
                observed.add(line.toString());
                continue;
            }
            Path ecn = context.fs().sys("class/net/" + ecnInterface(context, netdev.get()) + "/ecn");
            Optional<Boolean> np = flag(context, ecn.resolve("roce_np/enable/" + priority));
            Optional<Boolean> rp = flag(context, ecn.resolve("roce_rp/enable/" + priority));
            if (np.isEmpty() || rp.isEmpty()) {
                line.append(", ECN not exposed");
                outcome.note(port.id() + ": ECN settings not in sysfs (not an mlx5 port?)");
            } else {
                line.append(", ECN np ").append(np.get() ? "on" : "off").append(" rp ").append(rp.get() ? "on" : "off");
                if (!np.get() || !rp.get()) {
                    List<Integer> enabled = enabledPriorities(context, ecn);
                    outcome.warn(port.id() + ": DCQCN is off on priority " + priority + " (notification point "
                            + (np.get() ? "on" : "off") + ", reaction point " + (rp.get() ? "on" : "off") + ")"
                            + (enabled.isEmpty() ? "" : "; it is on for priorities " + enabled + " - is NCCL's traffic class the lossless one?"),
                            tc == 0 && !enabled.isEmpty() ? TC_REMEDIATION : ECN_REMEDIATION);
                }
            }
            Path mtuPath = context.fs().sys("class/net/" + netdev.get() + "/mtu");
            Optional<String> mtuText = context.readIfPresent(mtuPath);
            if (mtuText.isPresent()) {
                long mtu = SysfsValues.decimal(mtuPath.toString(), mtuText.get());
                line.append(", MTU ").append(mtu);
                if (mtu < minMtu) {
                    outcome.warn(port.id() + ": " + netdev.get() + " has MTU " + mtu + ", below " + minMtu
                            + ": RoCE falls back to a smaller path MTU", MTU_REMEDIATION);
                }
            }
            observed.add(line.toString());
        }
        return outcome.finding(roce.size() + " RoCE port(s): DCQCN on NCCL's priority, MTU fits 4096-byte frames")
                .observed(String.join("; ", observed) + "; PFC is set over netlink, not in sysfs: verify with mlnx_qos -i IF")
                .expected("ECN np/rp enabled on NCCL's priority, PFC on it (verify), MTU at least " + minMtu);
    }

    /** The interface of a RoCE port: the one its GIDs are bound to (a bond), else the PCI function's. */
    static Optional<String> netdev(CheckContext context, FabricView fabric, RdmaPort port) throws Exception {
        Path ndevs = RdmaDevices.root(context.fs()).resolve(port.device() + "/ports/" + port.number() + "/gid_attrs/ndevs");
        for (String index : context.list(ndevs)) {
            try {
                Optional<String> name = context.readIfPresent(ndevs.resolve(index)).map(SysfsValues::value);
                if (name.isPresent() && !name.get().isEmpty()) {
                    return name;
                }
            } catch (IOException e) {
                // an unpopulated entry
            }
        }
        return fabric.device(port.device()).flatMap(device -> device.netdevs().stream().findFirst());
    }

    /** A bond has no ECN settings of its own: with mlx5 LAG they live on its first slave's netdev. */
    static String ecnInterface(CheckContext context, String netdev) throws IOException {
        Optional<String> slaves = context.readIfPresent(context.fs().sys("class/net/" + netdev + "/bonding/slaves"));
        if (slaves.isPresent() && !slaves.get().isBlank()) {
            return slaves.get().strip().split("\\s+")[0];
        }
        return netdev;
    }

    static OptionalInt globalTrafficClass(Path source, Optional<String> content) throws MalformedInputException {
        if (content.isEmpty()) {
            return OptionalInt.empty();
        }
        for (String line : content.get().split("\n")) {
            if (line.startsWith("Global tclass=")) {
                try {
                    return OptionalInt.of(Integer.parseInt(line.substring("Global tclass=".length()).strip()));
                } catch (NumberFormatException e) {
                    throw new MalformedInputException(source, line, "'Global tclass=N'");
                }
            }
        }
        return OptionalInt.empty();
    }

    static OptionalInt trafficClass(String value) {
        if (value == null) {
            return OptionalInt.empty();
        }
        try {
            int tc = Integer.parseInt(value.strip());
            return tc >= 0 && tc <= 255 ? OptionalInt.of(tc) : OptionalInt.empty();
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    private static Optional<Boolean> flag(CheckContext context, Path path) throws Exception {
        Optional<String> value = context.readIfPresent(path);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        long flag = SysfsValues.decimal(path.toString(), value.get());
        if (flag != 0 && flag != 1) {
            throw new MalformedInputException(path, value.get(), "0 or 1");
        }
        return Optional.of(flag == 1);
    }

    private static List<Integer> enabledPriorities(CheckContext context, Path ecn) throws Exception {
        List<Integer> enabled = new ArrayList<>();
        for (int priority = 0; priority < 8; priority++) {
            if (flag(context, ecn.resolve("roce_np/enable/" + priority)).orElse(false)
                    && flag(context, ecn.resolve("roce_rp/enable/" + priority)).orElse(false)) {
                enabled.add(priority);
            }
        }
        return enabled;
    }
}
