package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.PciTopology;
import dev.preflight.agent.hostfs.PcieLinkSpeed;
import dev.preflight.agent.hostfs.RdmaDevice;
import dev.preflight.agent.hostfs.SysfsValues;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A PCIe link that trained below what both its ends support (a bad riser, slot or retimer) caps a
 * NIC's bandwidth: one slow node, "LnkSta ... (downgraded)". A link's ceiling is the lower of the
 * device's and its upstream port's maximum. GPUs lower their link speed when idle by design, so at
 * rest only their capability is judged: a GPU whose upstream port cannot match it (a Gen5 GPU behind
 * a Gen4 switch) is limited however busy it is. The bench phases sample GPU links under load.
 */
public final class PcieLinkCheck extends Check {
    public static final String ID = "host.pcie_link";

    static final String REMEDIATION = "reseat the card or its riser/retimer cable, check the slot's BIOS link settings, "
            + "and compare with 'lspci -vvv -s BDF' (LnkCap vs LnkSta)";
    static final String GPU_REMEDIATION = "move the GPU (or the switch uplink) to a slot and switch of the GPU's generation, "
            + "or accept the lower host-to-device bandwidth";

    /** A link's state as sysfs reports it at the device end; empty fields where the kernel says "Unknown". */
    record Link(Optional<PcieLinkSpeed> currentSpeed, Optional<PcieLinkSpeed> maxSpeed, OptionalInt currentWidth,
            OptionalInt maxWidth) {
        boolean known() {
            return maxSpeed.isPresent() && maxWidth.isPresent();
        }
    }

    public PcieLinkCheck() {
        super(ID, Scope.HOST,
                "NIC links run at the speed and width both ends support (a downgrade fails); GPUs' maximum is not capped by their upstream port");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        PciTopology topology = fabric.topology();
        // Each function of interest, keyed by address, with what it is and whether a required NIC sits at or below it.
        Map<String, String> roles = new LinkedHashMap<>();
        Map<String, Boolean> required = new LinkedHashMap<>();
        for (PciTopology.Function gpu : fabric.gpus()) {
            addChain(gpu.chain(), "GPU", false, roles, required);
        }
        for (RdmaDevice device : fabric.devices()) {
            if (device.function().isPresent()) {
                boolean needed = device.ports().stream().anyMatch(fabric::required);
                addChain(device.function().get().chain(), device.name(), needed, roles, required);
            }
        }
        if (roles.isEmpty()) {
            return Finding.skip("no GPU or RDMA device with a PCIe position in sysfs");
        }
        Tally outcome = new Tally();
        List<Measured> measured = new ArrayList<>();
        int judged = 0;
        List<String> gpuCapabilities = new ArrayList<>();
        for (Map.Entry<String, String> entry : roles.entrySet()) {
            String bdf = entry.getKey();
            PciTopology.Function function = topology.function(context, bdf).orElseThrow();
            Link link = link(context, topology, bdf);
            if (!link.known() || function.chain().size() < 2) {
                continue;
            }
            String parentBdf = function.chain().get(function.chain().size() - 2);
            Link parent = link(context, topology, parentBdf);
            PcieLinkSpeed ceilingSpeed = min(link.maxSpeed().get(), parent.maxSpeed());
            int ceilingWidth = parent.maxWidth().isPresent()
                    ? Math.min(link.maxWidth().getAsInt(), parent.maxWidth().getAsInt()) : link.maxWidth().getAsInt();
            judged++;
            String role = entry.getValue();
            if (function.isGpu()) {
                String capability = link.maxSpeed().get() + " x" + link.maxWidth().getAsInt();
                gpuCapabilities.add(bdf + " " + capability);
                if (ceilingSpeed.gigatransfersPerSecond() < link.maxSpeed().get().gigatransfersPerSecond()
                        || ceilingWidth < link.maxWidth().getAsInt()) {
                    outcome.warn("GPU " + bdf + " (capable of " + capability + ") is limited to " + ceilingSpeed + " x"
                            + ceilingWidth + " by its upstream port " + parentBdf, GPU_REMEDIATION);
                }
                continue;
            }
            if (link.currentSpeed().isEmpty() || link.currentWidth().isEmpty()) {
                continue;
            }
            double current = link.currentSpeed().get().gigatransfersPerSecond();
            int width = link.currentWidth().getAsInt();
            measured.add(new Measured(bdf, current, width));
            if (current < ceilingSpeed.gigatransfersPerSecond() || width < ceilingWidth) {
                String problem = describe(role, bdf) + " runs at " + link.currentSpeed().get() + " x" + width
                        + ", below the " + ceilingSpeed + " x" + ceilingWidth + " both ends support (downgraded)";
                if (required.get(bdf)) {
                    outcome.fail(problem, REMEDIATION);
                } else if (role.equals("GPU path")) {
                    outcome.warn(problem, REMEDIATION);
                } else {
                    outcome.note(problem + "; nothing requires it");
                }
            }
        }
        Finding finding = outcome.finding(judged + " PCIe links at the speed and width both ends support"
                + (gpuCapabilities.isEmpty() ? "" : "; GPUs capable of " + gpuCapabilities.get(0).substring(gpuCapabilities.get(0).indexOf(' ') + 1)
                        + " (idle GPUs lower their speed by design)"));
        for (Measured link : measured) {
            finding.measurement("pcie_link_speed", link.gigatransfers(), "GT/s", link.bdf())
                    .measurement("pcie_link_width", link.width(), "lanes", link.bdf());
        }
        return finding.observed(judged + " links judged" + (outcome.notes().isEmpty() ? "" : "; " + String.join("; ", outcome.notes())))
                .expected("current speed and width equal to the lower of both ends' maximum (GPUs: maximum only)");
    }

    private record Measured(String bdf, double gigatransfers, int width) {}

    /** Records every function on the way from the root port's child down to the device. */
    private static void addChain(List<String> chain, String device, boolean needed, Map<String, String> roles,
            Map<String, Boolean> required) {
        for (int i = 1; i < chain.size(); i++) {
            String bdf = chain.get(i);
            boolean last = i == chain.size() - 1;
            String role = last ? device : device.equals("GPU") ? "GPU path" : "bridge above " + device;
            roles.putIfAbsent(bdf, role);
            required.merge(bdf, needed, Boolean::logicalOr);
        }
    }

    private static String describe(String role, String bdf) {
        if (role.equals("GPU path")) {
            return "switch port " + bdf + " above a GPU";
        }
        if (role.startsWith("bridge above ")) {
            return "switch port " + bdf + " (" + role + ")";
        }
        return role + " (" + bdf + ")";
    }

    static Link link(CheckContext context, PciTopology topology, String bdf) throws Exception {
        return new Link(speed(context, topology, bdf, "current_link_speed"), speed(context, topology, bdf, "max_link_speed"),
                width(context, topology, bdf, "current_link_width"), width(context, topology, bdf, "max_link_width"));
    }

    private static Optional<PcieLinkSpeed> speed(CheckContext context, PciTopology topology, String bdf, String name)
            throws Exception {
        Optional<String> value = topology.attribute(context, bdf, name);
        return value.isPresent() ? PcieLinkSpeed.parse(bdf + "/" + name, value.get()) : Optional.empty();
    }

    private static OptionalInt width(CheckContext context, PciTopology topology, String bdf, String name) throws Exception {
        Optional<String> value = topology.attribute(context, bdf, name);
        if (value.isEmpty()) {
            return OptionalInt.empty();
        }
        long width = SysfsValues.decimal(bdf + "/" + name, value.get());
        if (width < 0 || width > 32) {
            throw new MalformedInputException(bdf + "/" + name, value.get(), "a link width of 0-32 lanes");
        }
        return width == 0 ? OptionalInt.empty() : OptionalInt.of((int) width);
    }

    private static PcieLinkSpeed min(PcieLinkSpeed own, Optional<PcieLinkSpeed> parent) {
        return parent.isPresent() && parent.get().gigatransfersPerSecond() < own.gigatransfersPerSecond() ? parent.get() : own;
    }
}
