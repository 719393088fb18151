package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.Threshold;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.check.nccl.InterconnectClass;
import dev.preflight.agent.hostfs.RailMap;
import dev.preflight.agent.hostfs.RdmaDevices;
import dev.preflight.agent.hostfs.RdmaPort;
import dev.preflight.proto.v1.PortFact;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Every RDMA port's state, physical state, rate, link layer and (on InfiniBand) LID and subnet
 * manager LID. A port NCCL needs (a GPU's rail, or named by NCCL_IB_HCA) must be ACTIVE/LinkUp at a
 * rate its interconnect class allows; a Down InfiniBand port nothing needs is a warning, a Down
 * Ethernet port nothing needs (a front-end NIC) only a note. Error counters are not judged here:
 * on an idle link they say little; the GetPortCounters snapshot is read around bench phases.
 */
public final class IbPortsCheck extends Check {
    public static final String ID = "fabric.ib_ports";

    public static final Threshold FAIL_BELOW = new Threshold("fabric.ib_ports.fail_below_gbytes_per_s", 12.5, "GB/s",
            "per-link rate of a required port below which the interconnect is too slow for multinode inference (FAIL)");
    public static final Threshold WARN_BELOW = new Threshold("fabric.ib_ports.warn_below_gbytes_per_s", 25, "GB/s",
            "per-link rate of a required port below which only small models are served well (WARN)");
    public static final List<Threshold> THRESHOLDS = List.of(FAIL_BELOW, WARN_BELOW);

    static final String CABLE_REMEDIATION = "check the cable, transceiver and switch port of the link (ibstat; mlxlink -d DEV); "
            + "an InfiniBand port stuck in Polling has no partner, in INIT no subnet manager";
    static final String SM_REMEDIATION = "start a subnet manager on the fabric (opensm, or the UFM/switch-embedded SM)";
    static final String RATE_REMEDIATION = "use links of at least the production class (HDR 200 Gb/s) for multinode inference, "
            + "or check why the port negotiated a lower rate (cable, transceiver, switch port speed)";

    public IbPortsCheck() {
        super(ID, Scope.HOST,
                "RDMA ports NCCL needs are ACTIVE/LinkUp with a LID and subnet manager (IB) at a rate of a usable interconnect class",
                THRESHOLDS);
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        List<RdmaPort> ports = RdmaDevices.ports(fabric.devices());
        List<String> unreadable = new ArrayList<>();
        fabric.devices().forEach(device -> unreadable.addAll(device.unreadablePorts()));
        if (ports.isEmpty() && unreadable.isEmpty()) {
            return Finding.skip("no RDMA device (" + RdmaDevices.root(context.fs()) + " is absent or empty): nothing to judge; "
                    + "fabric.rdma_devices says whether that is expected");
        }
        double failBelow = FAIL_BELOW.value(context);
        double warnBelow = WARN_BELOW.value(context);
        Tally outcome = new Tally();
        unreadable.forEach(outcome::unknown);
        List<String> observed = new ArrayList<>();
        unreadable.forEach(port -> observed.add(port + " unreadable"));
        TreeSet<String> requiredRates = new TreeSet<>();
        RailMap railNics = fabric.railMap();
        List<PortFact> facts = new ArrayList<>();
        for (RdmaPort port : ports) {
            observed.add(describe(port));
            List<String> reasons = new ArrayList<>(fabric.requirements(port));
            List<Integer> rails = railNics.gpusOf(port.device());
            for (int gpu : rails) {
                String reason = "rail of GPU" + gpu + " (" + fabric.gpus().get(gpu).bdf() + ")";
                if (!reasons.contains(reason)) {
                    reasons.add(reason);
                }
            }
            facts.add(PortFact.newBuilder().setDevice(port.device()).setPort(port.number()).setLinkLayer(port.linkLayer())
                    .setState(port.state().name()).setRateBitsPerSecond(Math.round(port.rate().bytesPerSecond() * 8))
                    .setNetdev(netdev(fabric, port)).setRequired(!reasons.isEmpty()).addAllRails(rails).build());
            boolean required = !reasons.isEmpty();
            String because = required ? " and " + String.join(", ", reasons) + " needs it" : "";
            if (!port.active()) {
                String problem = port.id() + " (" + port.linkLayer() + ") is " + port.state().name() + "/" + port.physState().name();
                if (required) {
                    outcome.fail(problem + because, CABLE_REMEDIATION);
                } else if (port.infiniband()) {
                    outcome.warn(problem + " (no GPU rail or NCCL_IB_HCA entry needs it)", CABLE_REMEDIATION);
                } else {
                    outcome.note(problem + ", which nothing requires (a front-end NIC?)");
                }
                continue;
            }
            if (port.physState().code() != RdmaPort.PHYS_LINK_UP) {
                outcome.warn(port.id() + " is ACTIVE but its physical state is " + port.physState().name(), CABLE_REMEDIATION);
            }
            if (port.infiniband() && (port.lid().orElse(0) == 0 || port.smLid().orElse(0) == 0)) {
                String problem = port.id() + " has " + (port.lid().orElse(0) == 0 ? "no LID" : "no subnet manager LID");
                if (required) {
                    outcome.fail(problem + because, SM_REMEDIATION);
                } else {
                    outcome.warn(problem, SM_REMEDIATION);
                }
            }
            double gigabytes = port.rate().bytesPerSecond() / 1e9;
            InterconnectClass interconnect = InterconnectClass.of(gigabytes);
            boolean judged = required || (fabric.rails().isEmpty() && port.infiniband());
            if (judged) {
                requiredRates.add(port.rate().toString());
            }
            String rateProblem = port.id() + " runs at " + port.rate() + " = " + format(gigabytes) + " GB/s per link ("
                    + interconnect.label() + ")";
            if (gigabytes < failBelow) {
                if (judged) {
                    outcome.fail(rateProblem, RATE_REMEDIATION);
                } else {
                    outcome.note(rateProblem + ", which nothing requires");
                }
            } else if (gigabytes < warnBelow) {
                if (judged) {
                    outcome.warn(rateProblem, RATE_REMEDIATION);
                } else {
                    outcome.note(rateProblem + ", which nothing requires");
                }
            }
        }
        if (requiredRates.size() > 1) {
            outcome.warn("the ports NCCL needs run at different rates (" + String.join(", ", requiredRates)
                    + "): the slowest rail sets the pace of every collective", RATE_REMEDIATION);
        }
        long active = ports.stream().filter(RdmaPort::active).count();
        Finding finding = outcome.finding(active + " of " + ports.size() + " RDMA ports ACTIVE"
                + (requiredRates.isEmpty() ? "" : " (needed ports at " + String.join(", ", requiredRates) + ", "
                        + InterconnectClass.of(ports.stream().filter(RdmaPort::active).mapToDouble(p -> p.rate().bytesPerSecond()).max()
                                .orElse(0) / 1e9).label() + ")"));
        for (RdmaPort port : ports) {
            finding.measurement("port_rate", port.rate().bytesPerSecond(), "B/s", port.id());
            finding.fact("port", port.linkLayer() + " " + port.state().name() + " " + port.rate(), port.id());
        }
        facts.forEach(finding::port);
        return finding.observed(String.join("; ", observed))
                .expected("ports NCCL needs ACTIVE/LinkUp" + ", at least " + format(warnBelow) + " GB/s per link; IB ports with LID and SM LID");
    }

    /** The network interface of a RoCE port; empty for InfiniBand or when the device names none. */
    private static String netdev(FabricView fabric, RdmaPort port) {
        if (!port.ethernet()) {
            return "";
        }
        return fabric.device(port.device()).map(d -> d.netdevs().isEmpty() ? "" : d.netdevs().get(0)).orElse("");
    }

    static String describe(RdmaPort port) {
        StringBuilder out = new StringBuilder(port.id()).append(' ').append(port.state().name()).append('/')
                .append(port.physState().name()).append(' ').append(port.rate()).append(' ').append(port.linkLayer());
        if (port.infiniband()) {
            out.append(" lid ").append(port.lid().isPresent() ? "0x" + Long.toHexString(port.lid().getAsLong()) : "?")
                    .append(" sm ").append(port.smLid().isPresent() ? "0x" + Long.toHexString(port.smLid().getAsLong()) : "?");
        }
        return out.toString();
    }

    private static String format(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.format(Locale.ROOT, "%.1f", value);
    }
}
