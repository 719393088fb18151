package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.check.nccl.FabricView;
import dev.preflight.agent.hostfs.PathType;
import dev.preflight.agent.hostfs.PciTopology;
import dev.preflight.agent.hostfs.RailMap;
import dev.preflight.agent.hostfs.RdmaDevice;
import dev.preflight.agent.hostfs.RdmaPort;
import dev.preflight.proto.v1.RailFact;
import dev.preflight.proto.v1.Scope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rail map: for every GPU the RDMA device nearest to it on the PCIe tree (NCCL's choice), with
 * the path type between them and their NUMA nodes. NCCL uses GPUDirect RDMA only up to a distance
 * (PXB by default), so a GPU whose nearest NIC sits behind the CPU or on the other socket moves its
 * network traffic through host memory.
 */
public final class TopologyCheck extends Check {
    public static final String ID = "host.topology";
    /** NCCL's default NCCL_NET_GDR_LEVEL on PCIe platforms. */
    static final PathType DEFAULT_GDR_LEVEL = PathType.PXB;

    static final String REMEDIATION = "put a NIC under the same PCIe switch as each GPU (the HGX reference layout), "
            + "or raise NCCL_NET_GDR_LEVEL to the rail's path type if the platform handles GPUDirect RDMA through the CPU well";

    public TopologyCheck() {
        super(ID, Scope.HOST,
                "rail map: each GPU's nearest RDMA NIC by PCIe path and NUMA node, near enough for GPUDirect RDMA");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        FabricView fabric = FabricView.read(context);
        List<PciTopology.Function> gpus = fabric.gpus();
        if (gpus.isEmpty()) {
            return Finding.skip("no GPU (NVIDIA, class 0x0302/0x0300) on the PCI bus");
        }
        long nics = fabric.devices().stream().filter(device -> device.function().isPresent()).count();
        if (fabric.rails().isEmpty()) {
            return Finding.warn(gpus.size() + " GPUs but no RDMA device with a PCIe position: NCCL across nodes "
                            + "falls back to TCP sockets")
                    .observed(gpus.size() + " GPUs, " + fabric.devices().size() + " RDMA devices")
                    .expected("an RDMA NIC near every GPU")
                    .remediation("install or expose the RDMA NICs (mlx5_core/mlx5_ib loaded, /sys/class/infiniband populated)")
                    .measurement("gpus", gpus.size(), "count", "");
        }
        Tally outcome = new Tally();
        List<String> map = new ArrayList<>();
        Map<String, Integer> sharing = new LinkedHashMap<>();
        for (RailMap.Rail rail : fabric.rails()) {
            PciTopology.Function nic = rail.nic().function().orElseThrow();
            map.add(rail.describe() + " numa " + numa(rail.gpu().numaNode()) + "/" + numa(nic.numaNode()));
            sharing.merge(rail.nic().name(), 1, Integer::sum);
            if (!rail.path().within(DEFAULT_GDR_LEVEL)) {
                outcome.warn("GPU" + rail.gpuIndex() + " " + rail.gpu().bdf() + "'s nearest NIC " + rail.nic().name()
                        + " is " + rail.path() + " (" + rail.path().meaning() + "): beyond NCCL's default GDR level "
                        + DEFAULT_GDR_LEVEL + ", so its traffic goes through host memory", REMEDIATION);
            }
        }
        sharing.forEach((nic, count) -> {
            if (count > 1) {
                outcome.note(nic + " is the nearest NIC of " + count + " GPUs");
            }
        });
        Finding finding = outcome.finding(gpus.size() + " GPUs on " + sharing.size() + " rails, each with a NIC within "
                + DEFAULT_GDR_LEVEL);
        RailMap railNics = fabric.railMap();
        for (RailMap.Rail rail : fabric.rails()) {
            finding.fact("rail", rail.nic().name() + " " + rail.path(), "GPU" + rail.gpuIndex() + " " + rail.gpu().bdf());
            RailFact.Builder fact = RailFact.newBuilder().setGpu(rail.gpuIndex()).setGpuPciBusId(rail.gpu().bdf())
                    .setPath(rail.path().name());
            for (RdmaDevice nic : railNics.nics().getOrDefault(rail.gpuIndex(), List.of(rail.nic()))) {
                for (RdmaPort port : nic.ports()) {
                    fact.addNics(port.id());
                }
            }
            finding.rail(fact.build());
        }
        return finding.observed(String.join("; ", map))
                .expected("every GPU's nearest NIC within " + DEFAULT_GDR_LEVEL + " (same PCIe switch)")
                .measurement("gpus", gpus.size(), "count", "")
                .measurement("rdma_nics", nics, "count", "")
                .measurement("rails", sharing.size(), "count", "");
    }

    private static String numa(int node) {
        return node < 0 ? "?" : String.valueOf(node);
    }
}
