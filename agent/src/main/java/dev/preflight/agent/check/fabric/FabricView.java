package dev.preflight.agent.check.fabric;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.check.host.PciTopology;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The node's GPUs and RDMA devices together: the rail map (each GPU's nearest RDMA device, as NCCL
 * chooses by PCIe distance, then bandwidth) and NCCL_IB_HCA decide which ports are required. Only
 * a required port's fault fails a check; any other is reported.
 */
public final class FabricView {
    public static final String IB_HCA = "NCCL_IB_HCA";

    /** GPU {@code gpuIndex} (PCI order) and the RDMA device nearest to it. */
    public record Rail(int gpuIndex, PciTopology.Function gpu, RdmaDevice nic, PathType path) {
        public String describe() {
            return "GPU" + gpuIndex + " " + gpu.bdf() + " -> " + nic.name() + " (" + path + ")";
        }
    }

    private final PciTopology topology;
    private final List<RdmaDevice> devices;
    private final List<Rail> rails;
    private final Optional<NcclNameList> ibHca;

    private FabricView(PciTopology topology, List<RdmaDevice> devices, List<Rail> rails, Optional<NcclNameList> ibHca) {
        this.topology = topology;
        this.devices = devices;
        this.rails = rails;
        this.ibHca = ibHca;
    }

    public static FabricView read(CheckContext context) throws IOException, MalformedInputException {
        PciTopology topology = PciTopology.read(context);
        List<RdmaDevice> devices = RdmaDevices.read(context, Optional.of(topology));
        String hca = context.settings().ncclEnv().get(IB_HCA);
        Optional<NcclNameList> ibHca = hca == null ? Optional.empty()
                : Optional.of(NcclNameList.parse(hca, NcclNameList.MAX_IB_DEVICES));
        return new FabricView(topology, devices, rails(topology.gpus(), devices), ibHca);
    }

    static List<Rail> rails(List<PciTopology.Function> gpus, List<RdmaDevice> devices) {
        List<Rail> rails = new ArrayList<>();
        for (int i = 0; i < gpus.size(); i++) {
            PciTopology.Function gpu = gpus.get(i);
            Rail best = null;
            Comparator<Rail> nearer = Comparator.<Rail, PathType>comparing(Rail::path)
                    .thenComparing(rail -> !rail.nic().anyActive())
                    .thenComparing(rail -> -rail.nic().activeGigabits())
                    .thenComparing(rail -> rail.nic().name());
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

    public PciTopology topology() {
        return topology;
    }

    public List<RdmaDevice> devices() {
        return devices;
    }

    public List<Rail> rails() {
        return rails;
    }

    public List<PciTopology.Function> gpus() {
        return topology.gpus();
    }

    public Optional<NcclNameList> ibHca() {
        return ibHca;
    }

    /** Why a port is required: the GPUs whose rail it is, and an NCCL_IB_HCA include list naming it. */
    public List<String> requirements(RdmaPort port) {
        List<String> reasons = new ArrayList<>();
        for (Rail rail : rails) {
            if (rail.nic().name().equals(port.device())) {
                reasons.add("rail of GPU" + rail.gpuIndex() + " (" + rail.gpu().bdf() + ")");
            }
        }
        if (ibHca.isPresent() && !ibHca.get().exclude() && !ibHca.get().entries().isEmpty()
                && ibHca.get().selects(port.device(), port.number())) {
            reasons.add(IB_HCA + "=" + ibHca.get().raw());
        }
        return reasons;
    }

    public boolean required(RdmaPort port) {
        return !requirements(port).isEmpty();
    }

    /** Whether NCCL's IB transport would open this port: active, and selected by NCCL_IB_HCA if set. */
    public boolean ncclUses(RdmaPort port) {
        return port.active() && ibHca.map(list -> list.selects(port.device(), port.number())).orElse(true);
    }

    /** The RoCE (Ethernet link layer) ports NCCL would open. */
    public List<RdmaPort> roceInUse() {
        List<RdmaPort> roce = new ArrayList<>();
        for (RdmaPort port : RdmaDevices.ports(devices)) {
            if (port.ethernet() && ncclUses(port)) {
                roce.add(port);
            }
        }
        return roce;
    }

    public Optional<RdmaDevice> device(String name) {
        return devices.stream().filter(device -> device.name().equals(name)).findFirst();
    }
}
