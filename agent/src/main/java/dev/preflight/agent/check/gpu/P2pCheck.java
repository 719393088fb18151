package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.gpu.GpuParts;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.P2pPair;
import java.util.ArrayList;
import java.util.List;

/**
 * Every pair of GPUs can read each other's memory (peer-to-peer): NCCL's fastest intra-node path.
 * Without it NCCL goes through host shared memory, much slower; on an NVLink board that is a fault
 * (FAIL), on PCIe cards a platform limit such as ACS or an IOMMU not in passthrough (WARN).
 */
public final class P2pCheck extends GpuCheck {
    public static final String ID = "gpu.p2p";

    public P2pCheck() {
        super(ID, "peer-to-peer reads are supported between every pair of GPUs");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (!driverAnswered(inventory)) {
            return noDriver(inventory);
        }
        if (inventory.getGpusCount() < 2) {
            return Finding.skip(inventory.getGpusCount() + " GPU: no pair to judge");
        }
        if (!inventory.getSource().equals(NVML) || inventory.getP2PCount() == 0) {
            return Finding.skip("P2P status is read through NVML only (inventory came from " + inventory.getSource() + ")");
        }
        boolean nvlinkBoard = false;
        for (Gpu gpu : inventory.getGpusList()) {
            nvlinkBoard |= GpuParts.byDeviceId(gpu.getPciDeviceId()).map(part -> part.nvlinks().isPresent()).orElse(false);
        }
        List<String> broken = new ArrayList<>();
        for (P2pPair pair : inventory.getP2PList()) {
            if (!pair.getStatus().equals("OK")) {
                broken.add("GPU " + pair.getGpuA() + "<->" + pair.getGpuB() + " " + pair.getStatus());
            }
        }
        String observed = (inventory.getP2PCount() - broken.size()) + " of " + inventory.getP2PCount() + " pairs OK";
        if (broken.isEmpty()) {
            return Finding.pass("P2P supported between all " + inventory.getP2PCount() + " GPU pairs").observed(observed);
        }
        Finding finding = nvlinkBoard ? Finding.fail(firstOf(broken)) : Finding.warn(firstOf(broken));
        return finding.observed(observed)
                .expected("every pair OK")
                .remediation(nvlinkBoard
                        ? "check gpu.nvlink and gpu.fabric (Fabric Manager), then reset the GPUs"
                        : "disable PCIe ACS on the switches between the GPUs and boot with iommu=pt");
    }
}
