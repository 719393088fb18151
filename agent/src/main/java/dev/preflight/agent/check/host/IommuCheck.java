package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.hostfs.RdmaDevice;
import dev.preflight.agent.hostfs.KernelCmdline;
import dev.preflight.agent.hostfs.SysfsValues;
import dev.preflight.proto.v1.Scope;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * With the IOMMU translating DMA (intel_iommu=on or amd_iommu without iommu=pt), GPUDirect RDMA and
 * peer-to-peer transfers go through address translation: deadlocks, "Got completion with error 4
 * ... vendor err 81" and low bandwidth. The kernel states each device's IOMMU group type in
 * /sys/kernel/iommu_groups/N/type: "identity" (passthrough) is what NCCL wants.
 */
public final class IommuCheck extends Check {
    public static final String ID = "host.iommu";

    static final String REMEDIATION = "boot with the IOMMU in passthrough (add iommu=pt to the kernel command line, "
            + "with intel_iommu=on or amd_iommu=on if the IOMMU is needed at all) or disable it in the BIOS";

    public IommuCheck() {
        super(ID, Scope.HOST,
                "the IOMMU passes GPU and RDMA DMA through untranslated (group type identity, or off): kernel command line and iommu groups");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        Map<String, String> devices = new LinkedHashMap<>();
        fabric.gpus().forEach(gpu -> devices.put(gpu.bdf(), "GPU " + gpu.bdf()));
        for (RdmaDevice device : fabric.devices()) {
            device.bdf().ifPresent(bdf -> devices.putIfAbsent(bdf, device.name() + " " + bdf));
        }
        if (devices.isEmpty()) {
            return Finding.skip("no GPU or RDMA device on the PCI bus: nothing for the IOMMU to get in the way of");
        }
        KernelCmdline cmdline = KernelCmdline.parse(context.read(context.fs().proc("cmdline")));
        Map<String, String> types = new TreeMap<>();
        for (Map.Entry<String, String> device : devices.entrySet()) {
            types.put(device.getValue(), groupType(context, device.getKey(), cmdline));
        }
        return evaluate(cmdline, types);
    }

    /** "identity", "DMA", "DMA-FQ", "unmanaged", or "none" when the device is in no group (IOMMU off). */
    static String groupType(CheckContext context, String bdf, KernelCmdline cmdline) throws Exception {
        Optional<String> group = context.link(context.fs().sys("bus/pci/devices/" + bdf + "/iommu_group"));
        if (group.isEmpty()) {
            return "none";
        }
        String number = Path.of(group.get()).getFileName().toString();
        Optional<String> type = context.readIfPresent(context.fs().sys("kernel/iommu_groups/" + number + "/type"));
        if (type.isPresent()) {
            return SysfsValues.value(type.get());
        }
        // Kernels before 5.11 do not state the type: the command line decides it.
        return passthrough(cmdline) ? "identity" : "DMA";
    }

    static boolean passthrough(KernelCmdline cmdline) {
        return cmdline.get("iommu").map("pt"::equals).orElse(false)
                || cmdline.get("iommu.passthrough").map(value -> value.equals("1") || value.equals("on") || value.equals("y"))
                        .orElse(false);
    }

    static Finding evaluate(KernelCmdline cmdline, Map<String, String> types) {
        List<String> parameters = new ArrayList<>();
        for (String name : List.of("intel_iommu", "amd_iommu", "iommu", "iommu.passthrough")) {
            cmdline.get(name).ifPresent(value -> parameters.add(name + "=" + value));
        }
        Map<String, List<String>> byType = new TreeMap<>();
        types.forEach((device, type) -> byType.computeIfAbsent(type, key -> new ArrayList<>()).add(device));
        Tally outcome = new Tally();
        for (Map.Entry<String, List<String>> entry : byType.entrySet()) {
            String type = entry.getKey();
            if (type.equals("DMA") || type.equals("DMA-FQ")) {
                outcome.fail(entry.getValue().size() + " device(s) behind a translating IOMMU (group type " + type + "): "
                        + String.join(", ", entry.getValue()) + " - GPUDirect RDMA and P2P pay for translation or fail", REMEDIATION);
            } else if (type.equals("unmanaged") || type.equals("blocked")) {
                outcome.warn(String.join(", ", entry.getValue()) + " in an IOMMU group of type " + type
                        + " (assigned to VFIO or blocked): the host driver cannot use them", "return the devices to their host drivers");
            }
        }
        String summary = byType.containsKey("identity") ? "the IOMMU passes GPU and RDMA DMA through (identity)"
                : "the IOMMU is off for the GPUs and RDMA devices";
        StringBuilder observed = new StringBuilder("cmdline ").append(parameters.isEmpty() ? "(no IOMMU parameter)" : String.join(" ", parameters));
        byType.forEach((type, devices) -> observed.append("; ").append(type).append(": ").append(devices.size()).append(" device(s)"));
        return outcome.finding(summary).observed(observed.toString()).expected("group type identity (iommu=pt) or no IOMMU group");
    }
}
