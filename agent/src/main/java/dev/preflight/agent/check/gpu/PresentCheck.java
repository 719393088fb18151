package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.PciGpu;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The driver is loaded and sees every GPU on the PCI bus. "8 GPUs on the bus, driver not loaded"
 * and "7 of 8 visible" (a GPU fallen off the bus, Xid 79) are the answers that matter most.
 */
public final class PresentCheck extends GpuCheck {
    public static final String ID = "gpu.present";

    static final String DRIVER_REMEDIATION = "load the NVIDIA driver (modprobe nvidia; see dmesg for NVRM errors); "
            + "in a container, run with the NVIDIA runtime and NVIDIA_DRIVER_CAPABILITIES=compute,utility";

    public PresentCheck() {
        super(ID, "the NVIDIA driver is loaded and sees every NVIDIA GPU on the PCI bus");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        int onBus = inventory.getPciDevicesCount();
        if (!driverAnswered(inventory)) {
            if (onBus == 0) {
                // A node preflight is asked about is meant to serve a model: without a GPU it cannot.
                return Finding.fail("no NVIDIA GPU on this node (none on the PCI bus, no driver answered): it cannot serve a model")
                        .observed("0 GPUs")
                        .expected("the node's GPUs on the PCI bus and visible to the driver")
                        .remediation("run preflight on the GPU nodes; on a GPU node, check `lspci -d 10de:` and the BIOS/"
                                + "hypervisor PCI passthrough; in a container, give it the host's /sys (--sysfs) or the GPUs")
                        .measurement("gpus_on_pci_bus", 0, "count", "");
            }
            List<String> drivers = new ArrayList<>();
            for (PciGpu device : inventory.getPciDevicesList()) {
                drivers.add(device.getBusId() + " " + (device.getDriver().isEmpty() ? "no driver bound" : "bound to " + device.getDriver()));
            }
            return Finding.fail(onBus + " NVIDIA GPU(s) on the PCI bus, but no driver answered: " + attemptSummary(inventory))
                    .observed(String.join(", ", drivers))
                    .expected("NVML or nvidia-smi listing every GPU")
                    .remediation(DRIVER_REMEDIATION)
                    .measurement("gpus_on_pci_bus", onBus, "count", "")
                    .measurement("gpus_visible_to_driver", 0, "count", "");
        }
        Set<String> seen = new HashSet<>();
        for (Gpu gpu : inventory.getGpusList()) {
            seen.add(gpu.getPciBusId());
        }
        List<String> invisible = new ArrayList<>();
        for (PciGpu device : inventory.getPciDevicesList()) {
            if (!seen.contains(device.getBusId())) {
                invisible.add(device.getBusId() + (device.getName().isEmpty() ? "" : " (" + device.getName() + ")"));
            }
        }
        int visible = inventory.getGpusCount();
        String observed = visible + " GPU(s) visible to " + inventory.getSource()
                + (onBus > 0 ? ", " + onBus + " on the PCI bus" : ", PCI bus not readable here");
        if (!invisible.isEmpty()) {
            return Finding.fail(invisible.size() + " GPU(s) on the PCI bus are not visible to the driver: "
                            + String.join(", ", invisible) + " (fallen off the bus, or held back from this container)")
                    .observed(observed)
                    .expected("every GPU on the PCI bus visible to the driver")
                    .remediation("look for Xid 79 / 'fallen off the bus' in the kernel log and reset or reseat the GPU; "
                            + "a container needs all of the node's GPUs (NVIDIA_VISIBLE_DEVICES=all) to judge them")
                    .measurement("gpus_on_pci_bus", onBus, "count", "")
                    .measurement("gpus_visible_to_driver", visible, "count", "");
        }
        if (visible == 0) {
            return Finding.skip("the driver answered but lists no GPU, and none is on the PCI bus").observed(observed);
        }
        return Finding.pass(visible + " GPU(s) visible to the driver (" + inventory.getSource() + ", driver "
                        + inventory.getDriverVersion() + ")")
                .observed(observed)
                .expected("every GPU on the PCI bus visible to the driver")
                .measurement("gpus_on_pci_bus", onBus, "count", "")
                .measurement("gpus_visible_to_driver", visible, "count", "");
    }
}
