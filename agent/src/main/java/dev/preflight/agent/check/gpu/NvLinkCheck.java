package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.gpu.GpuParts;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.NvLink;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Every NVLink is up, and as many as the part has (H100/H200/B200 SXM 18, A100 SXM 12, H800 and
 * A800 8, from {@link GpuParts}): one link down makes NCCL drop P2P between NVLink-connected
 * GPUs ("probably due to a hardware issue") and tensor parallelism crawls over PCIe.
 */
public final class NvLinkCheck extends GpuCheck {
    public static final String ID = "gpu.nvlink";

    public NvLinkCheck() {
        super(ID, "every NVLink is active, and as many as the part has (18 on H100 SXM, 12 on A100 SXM, 8 on H800/A800)");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (!driverAnswered(inventory)) {
            return noDriver(inventory);
        }
        if (!inventory.getSource().equals(NVML)) {
            return Finding.skip("NVLink state is read through NVML only (inventory came from " + inventory.getSource() + ")");
        }
        List<String> failures = new ArrayList<>();
        List<String> observed = new ArrayList<>();
        int linked = 0;
        for (Gpu gpu : inventory.getGpusList()) {
            OptionalInt expected = GpuParts.byDeviceId(gpu.getPciDeviceId()).map(GpuParts.Part::nvlinks).orElse(OptionalInt.empty());
            List<Integer> inactive = new ArrayList<>();
            int active = 0;
            for (NvLink link : gpu.getNvlinksList()) {
                if (link.getActive()) {
                    active++;
                } else {
                    inactive.add(link.getLink());
                }
            }
            if (gpu.getNvlinksCount() > 0 || expected.isPresent()) {
                linked++;
            }
            if (!inactive.isEmpty()) {
                failures.add(label(gpu) + ": NVLink " + inactive + " inactive");
            } else if (expected.isPresent() && active < expected.getAsInt()) {
                failures.add(label(gpu) + ": " + active + " of " + expected.getAsInt() + " NVLinks active");
            }
            observed.add(subject(gpu) + " " + active + "/" + (expected.isPresent() ? expected.getAsInt() : gpu.getNvlinksCount()));
        }
        if (linked == 0) {
            return Finding.skip("no GPU here has NVLink (PCIe parts without a bridge)");
        }
        if (inventory.getGpusCount() == 1 && activeLinks(inventory.getGpus(0)) == 0) {
            // A lone SXM GPU (a 1-GPU VM or slice) has no peer and no NVSwitch to train its links
            // against: nothing on this node travels over NVLink, so a down link is not a fault here.
            return Finding.skip("1 GPU on this node and none of its NVLinks active: no peer GPU or NVSwitch to link to")
                    .observed(String.join(", ", observed)).expected("every link active, the part's full count");
        }
        Finding finding = failures.isEmpty()
                ? Finding.pass("all NVLinks active on " + linked + " GPU(s)")
                : Finding.fail(firstOf(failures))
                        .remediation("check 'nvidia-smi nvlink -s' and the kernel log (Xid 74); reset the GPUs, "
                                + "and reseat or replace the baseboard if the link stays down");
        return finding.observed(String.join(", ", observed)).expected("every link active, the part's full count");
    }

    private static int activeLinks(Gpu gpu) {
        return (int) gpu.getNvlinksList().stream().filter(NvLink::getActive).count();
    }
}
