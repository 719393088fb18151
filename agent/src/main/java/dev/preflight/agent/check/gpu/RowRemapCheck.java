package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.GpuRowRemap;
import java.util.ArrayList;
import java.util.List;

/**
 * No row remap waiting for a reset, none failed (spare rows exhausted), and fewer uncorrectable
 * remaps than aznhc's limit: a pending remap means a bad HBM row is still in use until the GPU
 * is reset (DCGM's L1 fails it too).
 */
public final class RowRemapCheck extends GpuCheck {
    public static final String ID = "gpu.row_remap";

    public RowRemapCheck() {
        super(ID, "no HBM row remap pending a reset or failed; uncorrectable remaps within the limit");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (!driverAnswered(inventory)) {
            return noDriver(inventory);
        }
        int limit = context.settings().gpu().maxUncorrectableRemaps();
        List<String> failures = new ArrayList<>();
        List<String> observed = new ArrayList<>();
        int known = 0;
        for (Gpu gpu : inventory.getGpusList()) {
            if (!gpu.hasRowRemap()) {
                continue;
            }
            known++;
            GpuRowRemap rows = gpu.getRowRemap();
            if (rows.getPending()) {
                failures.add(label(gpu) + " has a row remap pending: it needs a reset");
            }
            if (rows.getFailure()) {
                failures.add(label(gpu) + " failed a row remap: no spare rows left");
            }
            if (rows.getUncorrectedRows() > limit) {
                failures.add(label(gpu) + ": " + rows.getUncorrectedRows() + " rows remapped for uncorrectable errors, above " + limit);
            }
            observed.add(subject(gpu) + " corrected " + rows.getCorrectedRows() + " uncorrected " + rows.getUncorrectedRows()
                    + (rows.getPending() ? " PENDING" : "") + (rows.getFailure() ? " FAILURE" : ""));
        }
        if (known == 0) {
            return Finding.skip("no GPU reports remapped rows (pre-Ampere parts have none; MIG and some VMs show N/A)");
        }
        Finding finding = failures.isEmpty()
                ? Finding.pass("no row remap pending or failed on " + known + " GPU(s)")
                : Finding.fail(firstOf(failures))
                        .remediation("drain the node and reset the GPU (nvidia-smi -r) to apply the remap; "
                                + "a remapping failure means the GPU must be replaced");
        return finding.observed(String.join(", ", observed))
                .expected("nothing pending, no failure, uncorrectable remaps <= " + limit);
    }
}
