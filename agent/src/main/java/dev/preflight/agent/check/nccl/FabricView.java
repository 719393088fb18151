package dev.preflight.agent.check.nccl;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.hostfs.HostModel;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.PciTopology;
import dev.preflight.agent.hostfs.RailMap;
import dev.preflight.agent.hostfs.RdmaDevice;
import dev.preflight.agent.hostfs.RdmaDevices;
import dev.preflight.agent.hostfs.RdmaPort;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The node's GPUs and RDMA devices together: the rail map (each GPU's nearest RDMA device, as NCCL
 * chooses by PCIe distance, then bandwidth) and NCCL_IB_HCA decide which ports are required. Only
 * a required port's fault fails a check; any other is reported.
 */
public final class FabricView {
    public static final String IB_HCA = "NCCL_IB_HCA";

    private final HostModel.Fabric fabric;
    private final Optional<NcclNameList> ibHca;

    private FabricView(HostModel.Fabric fabric, Optional<NcclNameList> ibHca) {
        this.fabric = fabric;
        this.ibHca = ibHca;
    }

    /** The run's reading of the fabric, seen with this check's NCCL_IB_HCA. */
    public static FabricView read(CheckContext context) throws IOException, MalformedInputException {
        HostModel.Fabric fabric = context.host().fabric(context);
        String hca = context.settings().ncclEnv().get(IB_HCA);
        Optional<NcclNameList> ibHca = hca == null ? Optional.empty()
                : Optional.of(NcclNameList.parse(hca, NcclNameList.MAX_IB_DEVICES));
        return new FabricView(fabric, ibHca);
    }

    public PciTopology topology() {
        return fabric.topology();
    }

    public List<RdmaDevice> devices() {
        return fabric.devices();
    }

    /** Each GPU's nearest RDMA device. */
    public List<RailMap.Rail> rails() {
        return fabric.rails().rails();
    }

    /** Every NIC serving each GPU's rail. */
    public RailMap railMap() {
        return fabric.rails();
    }

    public List<PciTopology.Function> gpus() {
        return fabric.topology().gpus();
    }

    public Optional<NcclNameList> ibHca() {
        return ibHca;
    }

    /** Why a port is required: the GPUs whose rail it is, and an NCCL_IB_HCA include list naming it. */
    public List<String> requirements(RdmaPort port) {
        List<String> reasons = new ArrayList<>();
        for (RailMap.Rail rail : rails()) {
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
        for (RdmaPort port : RdmaDevices.ports(devices())) {
            if (port.ethernet() && ncclUses(port)) {
                roce.add(port);
            }
        }
        return roce;
    }

    public Optional<RdmaDevice> device(String name) {
        return devices().stream().filter(device -> device.name().equals(name)).findFirst();
    }
}
