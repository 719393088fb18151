package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.host.PciTopology;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every NIC serving each GPU's rail. The rail map gives each GPU its nearest NIC; a platform with
 * several NICs per GPU (four 100G EFA or RoCE NICs under one GPU's PCIe switch) has NICs no GPU
 * chose, and those are shared out to the GPUs nearest to them on the same PCIe switches, fewest
 * first, so the NICs serving one GPU form one rail whose expected bandwidth is their sum. A NIC
 * beyond a host bridge (a front-end NIC) serves no rail.
 */
public final class RailNics {
    private RailNics() {}

    /** GPU index to its NICs, the rail map's own first. */
    public static Map<Integer, List<RdmaDevice>> of(FabricView fabric) {
        return of(fabric.rails(), fabric.gpus(), fabric.devices());
    }

    static Map<Integer, List<RdmaDevice>> of(List<FabricView.Rail> rails, List<PciTopology.Function> gpus,
            List<RdmaDevice> devices) {
        Map<Integer, List<RdmaDevice>> nics = new LinkedHashMap<>();
        List<String> chosen = new ArrayList<>();
        for (FabricView.Rail rail : rails) {
            nics.computeIfAbsent(rail.gpuIndex(), k -> new ArrayList<>()).add(rail.nic());
            chosen.add(rail.nic().name());
        }
        for (RdmaDevice device : devices) {
            if (chosen.contains(device.name()) || device.function().isEmpty() || device.ports().isEmpty()) {
                continue;
            }
            PathType best = null;
            for (PciTopology.Function gpu : gpus) {
                PathType path = PciTopology.distance(gpu, device.function().get());
                best = best == null || path.compareTo(best) < 0 ? path : best;
            }
            if (best == null || !best.within(PathType.PXB)) {
                continue;
            }
            int owner = -1;
            for (int i = 0; i < gpus.size(); i++) {
                if (PciTopology.distance(gpus.get(i), device.function().get()) == best && nics.containsKey(i)
                        && (owner < 0 || nics.get(i).size() < nics.get(owner).size())) {
                    owner = i;
                }
            }
            if (owner >= 0) {
                nics.get(owner).add(device);
            }
        }
        return nics;
    }

    /** The GPUs whose rail the device serves, in GPU order. */
    public static List<Integer> gpusOf(Map<Integer, List<RdmaDevice>> nics, String device) {
        List<Integer> gpus = new ArrayList<>();
        nics.forEach((gpu, devices) -> {
            if (devices.stream().anyMatch(d -> d.name().equals(device))) {
                gpus.add(gpu);
            }
        });
        return gpus;
    }
}
