package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NetChannelUse;
import dev.preflight.proto.v1.RailFact;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.v1.TransportProof;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The transport NCCL's own log proves, as the nccl.transport result, judged against the node's
 * rail map: a socket fall-back where RDMA ports are up fails; so does a GPU whose traffic between
 * nodes went through another rail's NIC (under PXN the NIC is the proxy GPU's, as NCCL intends);
 * a connection on an RDMA network without GPUDirect RDMA where the GPU's NIC is within NCCL's
 * default GDR level warns.
 */
public final class TransportCheck {
    public static final String ID = "nccl.transport";
    /** NCCL's default NCCL_NET_GDR_LEVEL is PXB: paths through at most PCIe switches get GPUDirect RDMA. */
    private static final Set<String> WITHIN_DEFAULT_GDR_LEVEL = Set.of("PIX", "PXB");

    private TransportCheck() {}

    /** The proof alone, where no rail map is known (preflight bench on one node). */
    public static CheckResult of(TransportProof proof) {
        return of(proof, List.of());
    }

    public static CheckResult of(TransportProof proof, List<RailFact> rails) {
        CheckResult.Builder check = CheckResult.newBuilder()
                .setId(ID)
                .setScope(Scope.HOST)
                .setObserved(String.join(", ", proof.getTransportsList()))
                .setExpected("NCCL's own log names the transports it used, no socket fall-back where InfiniBand/RoCE "
                        + "ports are active, each GPU's traffic between nodes on its own rail's NIC, with GPUDirect "
                        + "RDMA where the NIC is within " + String.join("/", List.of("PIX", "PXB")));
        List<String> crossings = new ArrayList<>();
        Set<String> withoutGdr = new LinkedHashSet<>();
        for (NetChannelUse use : proof.getNetChannelsList()) {
            List<RailFact> own = railsOf(use, rails);
            if (!own.isEmpty() && !use.getNic().isEmpty() && own.stream().noneMatch(r -> onRail(r, use.getNic()))) {
                crossings.add(crossing(use, own, rails));
            }
            if (!use.getGdrdma() && !use.getNetwork().equals("Socket")
                    && (own.isEmpty() || own.stream().anyMatch(r -> WITHIN_DEFAULT_GDR_LEVEL.contains(r.getPath())))) {
                withoutGdr.add(gpuName(use) + " via " + nicName(use));
            }
        }
        List<String> summary = new ArrayList<>();
        summary.add(proof.getSummary());
        summary.add(proof.getNvls() ? "NVLS used" : proof.getNvlsAvailable() ? "NVLS available but not used" : "");
        if (!crossings.isEmpty()) {
            summary.add("traffic off its rail: " + String.join("; ", crossings));
        }
        if (!withoutGdr.isEmpty()) {
            summary.add("no GPUDirect RDMA on " + String.join(", ", withoutGdr)
                    + " (data between nodes is staged through host memory)");
        }
        if (!proof.getNetChannelsList().isEmpty() && rails.isEmpty()) {
            summary.add("no rail map to compare the NICs with");
        }
        check.setSummary(String.join("; ", summary.stream().filter(s -> !s.isEmpty()).toList()));
        if (proof.getVerdict() == TransportProof.Verdict.SOCKET_FALLBACK) {
            return check.setStatus(CheckResult.Status.FAIL)
                    .setRemediation("make the RDMA devices visible to NCCL (/dev/infiniband in the container, "
                            + "NCCL_IB_HCA naming the active ports, NCCL_IB_DISABLE unset) and rerun")
                    .build();
        }
        if (!crossings.isEmpty()) {
            return check.setStatus(CheckResult.Status.FAIL)
                    .setRemediation("check that each rail's NIC is up and cabled to its own rail switch, and that "
                            + "NCCL_IB_HCA lists every rail NIC (NCCL_CROSS_NIC=0 keeps traffic on its rail)")
                    .build();
        }
        if (proof.getVerdict() != TransportProof.Verdict.PROVEN) {
            return check.setStatus(CheckResult.Status.WARN)
                    .setRemediation("rerun with the worker logs kept (--bench-dir) and read NCCL's INFO lines")
                    .build();
        }
        if (!withoutGdr.isEmpty()) {
            return check.setStatus(CheckResult.Status.WARN)
                    .setRemediation("load nvidia_peermem (or use DMA-BUF with the open kernel module), keep "
                            + "NCCL_NET_GDR_LEVEL at least PXB, and check fabric.gpudirect")
                    .build();
        }
        return check.setStatus(CheckResult.Status.PASS).build();
    }

    /** The rail map among a node's check results: the typed rails host.topology publishes. */
    public static List<RailFact> rails(List<CheckResult> checks) {
        List<RailFact> rails = new ArrayList<>();
        for (CheckResult check : checks) {
            rails.addAll(check.getRailsList());
        }
        return rails;
    }

    /**
     * The rail entries of the GPU whose NIC carried the traffic, by NVML index or PCI bus id (a GPU
     * served by several NICs may have an entry per NIC).
     */
    private static List<RailFact> railsOf(NetChannelUse use, List<RailFact> rails) {
        List<RailFact> own = new ArrayList<>();
        for (RailFact rail : rails) {
            if (use.getGpu() >= 0 ? rail.getGpu() == use.getGpu()
                    : !use.getGpuPciBusId().isEmpty() && use.getGpuPciBusId().equalsIgnoreCase(rail.getGpuPciBusId())) {
                own.add(rail);
            }
        }
        return own;
    }

    /** NCCL names a NIC "mlx5_0:1/IB"; a rail names it "mlx5_0:1", or "mlx5_0" where only the device is known. */
    private static boolean onRail(RailFact rail, String ncclNic) {
        String port = ncclNic.split("/")[0];
        String device = port.split(":")[0];
        for (String nic : rail.getNicsList()) {
            if (nic.contains(":") ? nic.equals(port) : nic.equals(device)) {
                return true;
            }
        }
        return false;
    }

    private static String crossing(NetChannelUse use, List<RailFact> own, List<RailFact> rails) {
        List<String> owners = new ArrayList<>();
        for (RailFact other : rails) {
            if (onRail(other, use.getNic()) && !owners.contains("GPU" + other.getGpu())) {
                owners.add("GPU" + other.getGpu());
            }
        }
        return (use.getHost().isEmpty() ? "" : use.getHost() + " ") + "rank " + use.getRank() + " ("
                + gpuName(use) + (use.getProxyRank() >= 0 ? ", PXN proxy rank " + use.getProxyRank() : "") + ") "
                + (use.getSend() ? "sent" : "received") + " on " + use.getChannels() + " channel(s) through "
                + nicName(use) + (owners.isEmpty() ? ", which is no GPU's rail NIC" : ", the rail NIC of "
                        + String.join(", ", owners)) + ", not its own rail's "
                + String.join(", ", own.stream().flatMap(r -> r.getNicsList().stream()).distinct().toList());
    }

    private static String gpuName(NetChannelUse use) {
        return use.getGpu() >= 0 ? "GPU" + use.getGpu()
                : use.getGpuPciBusId().isEmpty() ? "rank " + use.getRank() : "GPU " + use.getGpuPciBusId();
    }

    private static String nicName(NetChannelUse use) {
        return use.getNic().isEmpty() ? "NET/" + use.getNetwork() + "/" + use.getNicIndex() : use.getNic().split("/")[0];
    }
}
