package dev.preflight.agent.hostfs;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's rails: each GPU's nearest RDMA device, as NCCL chooses by PCIe distance, then by
 * whether a port is active, then bandwidth; and every NIC serving each GPU's rail. A platform with
 * several NICs per GPU (four 100G EFA or RoCE NICs under one GPU's PCIe switch) has NICs no GPU
 * chose, and those are shared out to the GPUs nearest to them on the same PCIe switches, fewest
 * first, so the NICs serving one GPU form one rail whose expected bandwidth is their sum. A NIC
 * beyond a host bridge (a front-end NIC) serves no rail.
 */
public final class RailMap {
    /** GPU {@code gpuIndex} (PCI order) and the RDMA device nearest to it. */
    public record Rail(int gpuIndex, PciTopology.Function gpu, RdmaDevice nic, PathType path) {
        public String describe() {
            return "GPU" + gpuIndex + " " + gpu.bdf() + " -> " + nic.name() + " (" + path + ")";
        }
    }

    private final List<Rail> rails;
    private final Map<Integer, List<RdmaDevice>> nics;

    private RailMap(List<Rail> rails, Map<Integer, List<RdmaDevice>> nics) {
        this.rails = rails;
        this.nics = nics;
    }

    public static RailMap of(List<PciTopology.Function> gpus, List<RdmaDevice> devices) {
        List<Rail> rails = nearest(gpus, devices);
        Map<Integer, List<RdmaDevice>> nics = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<RdmaDevice>> entry : shared(rails, gpus, devices).entrySet()) {
            nics.put(entry.getKey(), List.copyOf(entry.getValue()));
        }
        return new RailMap(rails, Collections.unmodifiableMap(nics));
    }

    /** One rail per GPU that has an RDMA device with a PCIe position, in GPU order. */
    public List<Rail> rails() {
        return rails;
    }

    /** GPU index to its NICs, the rail's own first. */
    public Map<Integer, List<RdmaDevice>> nics() {
        return nics;
    }

    /** The GPUs whose rail the device serves, in GPU order. */
    public List<Integer> gpusOf(String device) {
        List<Integer> gpus = new ArrayList<>();
        nics.forEach((gpu, devices) -> {
            if (devices.stream().anyMatch(d -> d.name().equals(device))) {
                gpus.add(gpu);
            }
        });
        return gpus;
    }

    private static List<Rail> nearest(List<PciTopology.Function> gpus, List<RdmaDevice> devices) {
        List<Rail> rails = new ArrayList<>();
        Comparator<Rail> nearer = Comparator.<Rail, PathType>comparing(Rail::path)
                .thenComparing(rail -> !rail.nic().anyActive())
                .thenComparing(rail -> -rail.nic().activeGigabits())
                .thenComparing(rail -> rail.nic().name());
        for (int i = 0; i < gpus.size(); i++) {
            PciTopology.Function gpu = gpus.get(i);
            Rail best = null;
            for (RdmaDevice device : devices) {
                if (device.function().isEmpty() || device.ports().isEmpty()) {
                    continue;
                }
                Rail candidate = new Rail(i, gpu, device, PciTopology.distance(gpu, device.function().get()));
                if (best == null || nearer.compare(candidate, best) < 0) {
                    best = candidate;
                }
            }
            if (best != null) {
                rails.add(best);
            }
        }
        return List.copyOf(rails);
    }

    private static Map<Integer, List<RdmaDevice>> shared(List<Rail> rails, List<PciTopology.Function> gpus,
            List<RdmaDevice> devices) {
        Map<Integer, List<RdmaDevice>> nics = new LinkedHashMap<>();
        List<String> chosen = new ArrayList<>();
        for (Rail rail : rails) {
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
}
