package dev.preflight.agent.gpu;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The data-center parts the agent knows by PCI device id (vendor 0x10de): a name for when only
 * the PCI bus can be read, and the NVLink count a healthy board has. Ids and names are those of
 * the PCI ID database (pci.ids); link counts are NVIDIA's (18 on Hopper and Blackwell SXM,
 * 12 on A100 SXM, 8 on the export parts H800 and A800). PCIe cards carry no count: their links,
 * if any, come from an optional bridge.
 */
public final class GpuParts {
    /** A part: its name and the NVLinks it has on an HGX/DGX board (empty: not fixed). */
    public record Part(String name, OptionalInt nvlinks) {}

    private static final Map<Integer, Part> PARTS = Map.ofEntries(
            Map.entry(0x20b0, sxm("A100 SXM4 40GB", 12)),
            Map.entry(0x20b2, sxm("A100 SXM4 80GB", 12)),
            Map.entry(0x20b3, sxm("A100-SXM-64GB", 12)),
            Map.entry(0x20b1, pcie("A100 PCIe 40GB")),
            Map.entry(0x20f1, pcie("A100 PCIe 40GB")),
            Map.entry(0x20b5, pcie("A100 PCIe 80GB")),
            Map.entry(0x20b7, pcie("A30 PCIe")),
            Map.entry(0x20f3, sxm("A800-SXM4-80GB", 8)),
            Map.entry(0x20f5, pcie("A800 80GB PCIe")),
            Map.entry(0x20f6, pcie("A800 40GB PCIe")),
            Map.entry(0x2330, sxm("H100 SXM5 80GB", 18)),
            Map.entry(0x2331, pcie("H100 PCIe")),
            Map.entry(0x2324, sxm("H800", 8)),
            Map.entry(0x2322, pcie("H800 PCIe")),
            Map.entry(0x2335, sxm("H200 SXM 141GB", 18)),
            Map.entry(0x2901, sxm("B200", 18)));

    private GpuParts() {}

    private static Part sxm(String name, int nvlinks) {
        return new Part(name, OptionalInt.of(nvlinks));
    }

    private static Part pcie(String name) {
        return new Part(name, OptionalInt.empty());
    }

    public static Optional<Part> byDeviceId(int deviceId) {
        return Optional.ofNullable(PARTS.get(deviceId));
    }
}
