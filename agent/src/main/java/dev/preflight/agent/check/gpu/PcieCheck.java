package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.GpuPcie;
import java.util.ArrayList;
import java.util.List;

/**
 * Each GPU's PCIe link can run as fast as the GPU (capability at rest): an idle GPU lowers its
 * link speed by design, so the current generation is reported, not judged. Judged: the best
 * generation the slot allows against the GPU's own (a Gen5 GPU behind a Gen4 switch gets half its
 * host bandwidth), DCGM's floor of Gen3 x16, and a link trained narrower than it can be.
 */
public final class PcieCheck extends GpuCheck {
    public static final String ID = "gpu.pcie";
    /** DCGM's PCIe floor for H100 SXM. */
    public static final int MIN_GENERATION = 3;
    public static final int MIN_WIDTH = 16;

    public PcieCheck() {
        super(ID,
                "each GPU's PCIe link can run at the GPU's own generation and full width (at least Gen3 x16); idle speed not judged");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (inventory.getGpusCount() == 0) {
            return noDriver(inventory);
        }
        List<String> failures = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<String> observed = new ArrayList<>();
        int known = 0;
        for (Gpu gpu : inventory.getGpusList()) {
            GpuPcie pcie = gpu.getPcie();
            if (!pcie.hasMaxGeneration() && !pcie.hasDeviceMaxGeneration() && !pcie.hasMaxWidth()) {
                continue;
            }
            known++;
            int slotMax = pcie.hasMaxGeneration() ? pcie.getMaxGeneration() : pcie.getDeviceMaxGeneration();
            if (pcie.hasMaxGeneration() && pcie.hasDeviceMaxGeneration() && pcie.getMaxGeneration() < pcie.getDeviceMaxGeneration()) {
                warnings.add(label(gpu) + " is a Gen" + pcie.getDeviceMaxGeneration() + " GPU limited to Gen"
                        + pcie.getMaxGeneration() + " by its slot or an upstream switch");
            }
            if (slotMax < MIN_GENERATION) {
                failures.add(label(gpu) + " can run only PCIe Gen" + slotMax + ", below Gen" + MIN_GENERATION);
            }
            if (pcie.hasMaxWidth() && pcie.getMaxWidth() < MIN_WIDTH) {
                failures.add(label(gpu) + " link is at most x" + pcie.getMaxWidth() + ", below x" + MIN_WIDTH);
            } else if (pcie.hasCurrentWidth() && pcie.hasMaxWidth() && pcie.getCurrentWidth() < pcie.getMaxWidth()) {
                warnings.add(label(gpu) + " link trained at x" + pcie.getCurrentWidth() + " of x" + pcie.getMaxWidth());
            }
            observed.add(subject(gpu) + " gen " + value(pcie.hasCurrentGeneration(), pcie.getCurrentGeneration())
                    + "/" + slotMax + (pcie.hasDeviceMaxGeneration() ? " (device " + pcie.getDeviceMaxGeneration() + ")" : "")
                    + " x" + value(pcie.hasCurrentWidth(), pcie.getCurrentWidth()) + "/" + value(pcie.hasMaxWidth(), pcie.getMaxWidth()));
        }
        if (known == 0) {
            return Finding.skip("no GPU reports its PCIe link capability (" + inventory.getSource() + ")");
        }
        Finding verdict;
        if (!failures.isEmpty()) {
            verdict = Finding.fail(firstOf(failures));
        } else if (!warnings.isEmpty()) {
            verdict = Finding.warn(firstOf(warnings));
        } else {
            verdict = Finding.pass("PCIe link capability matches the GPU on " + known + " GPU(s)");
        }
        if (!failures.isEmpty() || !warnings.isEmpty()) {
            verdict.remediation("check the slot, riser and BIOS link settings; 'dmesg | grep \"limited by\"' names the port that limits it");
        }
        for (Gpu gpu : inventory.getGpusList()) {
            GpuPcie pcie = gpu.getPcie();
            if (pcie.hasMaxGeneration() || pcie.hasDeviceMaxGeneration()) {
                verdict.measurement("pcie_max_generation",
                        pcie.hasMaxGeneration() ? pcie.getMaxGeneration() : pcie.getDeviceMaxGeneration(), "generation", subject(gpu));
            }
            if (pcie.hasReplays()) {
                verdict.measurement("pcie_replays", pcie.getReplays(), "count", subject(gpu));
            }
        }
        return verdict.observed(String.join(", ", observed))
                .expected("slot generation = the GPU's, at least Gen" + MIN_GENERATION + " x" + MIN_WIDTH);
    }

    private static String value(boolean known, int value) {
        return known ? Integer.toString(value) : "?";
    }
}
