package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.hostfs.RdmaDevice;
import dev.preflight.agent.hostfs.PciConfigSpace;
import dev.preflight.agent.hostfs.PciConfigSpace.Acs;
import dev.preflight.proto.v1.Scope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Access Control Services on a PCIe switch port redirect peer-to-peer requests up to the root
 * complex: GPU-to-GPU and GPU-to-NIC (GPUDirect RDMA) traffic then crawls or deadlocks ("Got
 * completion with error 4 ... vendor err 81"). ACS lives in extended configuration space, which the
 * kernel shows only to CAP_SYS_ADMIN: without it the read silently stops at 64 bytes, and this
 * check says so instead of passing.
 */
public final class PcieAcsCheck extends Check {
    public static final String ID = "host.pcie_acs";

    static final String REMEDIATION = "disable ACS on the PCIe switch ports between GPUs and NICs (BIOS 'PCIe ACS' off, "
            + "or setpci -s BDF ECAP_ACS+0x6.w=0000 at boot, as NVIDIA's GPUDirect guide describes); keep the IOMMU in passthrough";

    public PcieAcsCheck() {
        super(ID, Scope.HOST,
                "ACS does not redirect peer-to-peer traffic on the PCIe switch ports above GPUs and NICs (extended config space; needs CAP_SYS_ADMIN)");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        if (fabric.gpus().isEmpty()) {
            return Finding.skip("no GPU on the PCI bus: no peer-to-peer traffic to redirect");
        }
        TreeSet<String> bridges = new TreeSet<>();
        fabric.gpus().forEach(gpu -> addSwitchPorts(gpu.chain(), bridges));
        for (RdmaDevice device : fabric.devices()) {
            device.function().ifPresent(function -> addSwitchPorts(function.chain(), bridges));
        }
        if (bridges.isEmpty()) {
            return Finding.pass("no PCIe switch between the GPUs and NICs (each hangs off a root port): nothing for ACS to redirect")
                    .observed("0 switch ports").expected("ACSCtl ReqRedir- CmpltRedir- EgressCtrl- on every switch port");
        }
        List<String> readable = new ArrayList<>();
        List<String> redirecting = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (String bridge : bridges) {
            Path config = context.fs().sys("bus/pci/devices/" + bridge + "/config");
            byte[] bytes = PciConfigSpace.read(config);
            if (bytes.length < PciConfigSpace.EXTENDED_BYTES) {
                context.evidence(config.toString(), "(read stopped at " + bytes.length + " bytes)");
                unreadable.add(bridge + " (" + bytes.length + " bytes)");
                continue;
            }
            Optional<Acs> acs = PciConfigSpace.acs(config.toString(), bytes);
            context.evidence(config.toString(), bytes.length + " bytes; " + acs.map(value -> String.format(
                    "ACS at 0x%x: ACSCap 0x%04x, ACSCtl %s", value.offset(), value.capability(), value.describeControl()))
                    .orElse("no ACS capability"));
            readable.add(bridge);
            if (acs.isPresent() && acs.get().redirectsPeerToPeer()) {
                redirecting.add(bridge + " (ACSCtl " + acs.get().describeControl() + ")");
            }
        }
        String observed = bridges.size() + " switch ports; " + readable.size() + " read"
                + (redirecting.isEmpty() ? "" : "; redirecting: " + String.join(", ", redirecting))
                + (unreadable.isEmpty() ? "" : "; unreadable: " + String.join(", ", unreadable));
        String expected = "ACSCtl ReqRedir- CmpltRedir- EgressCtrl- on every switch port";
        Tally outcome = new Tally();
        if (!redirecting.isEmpty()) {
            outcome.fail("ACS redirects peer-to-peer traffic on " + redirecting.size() + " PCIe switch port(s): "
                    + String.join(", ", redirecting), REMEDIATION);
            return outcome.finding("").observed(observed).expected(expected);
        }
        if (!unreadable.isEmpty()) {
            boolean privileged = unreadable.stream().noneMatch(entry -> entry.endsWith("(" + PciConfigSpace.UNPRIVILEGED_BYTES + " bytes)"));
            return Finding.skip("cannot see ACS on " + unreadable.size() + " of " + bridges.size() + " switch ports: "
                    + (privileged ? "the kernel exposes no extended configuration space (no ECAM)"
                            : "the configuration-space read stopped at 64 bytes, as it does without CAP_SYS_ADMIN; "
                                    + "run the agent privileged (or with CAP_SYS_ADMIN) to judge ACS"))
                    .observed(observed).expected(expected);
        }
        return Finding.pass("ACS redirects nothing on the " + bridges.size() + " PCIe switch ports above the GPUs and NICs")
                .observed(observed).expected(expected);
    }

    /** The bridges between a root port and a function: the root port itself carries no peer traffic within a switch. */
    private static void addSwitchPorts(List<String> chain, TreeSet<String> bridges) {
        for (int i = 1; i < chain.size() - 1; i++) {
            bridges.add(chain.get(i));
        }
    }
}
