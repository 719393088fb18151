package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuEcc;
import dev.preflight.proto.v1.GpuInventory;
import java.util.ArrayList;
import java.util.List;

/**
 * ECC is on and no uncorrectable error happened since the last reset: a model that hits one
 * stops with "uncorrectable ECC error encountered" and its peers time out. Many corrected
 * errors (aznhc's 10000) warn of a failing memory.
 */
public final class EccCheck extends GpuCheck {
    public static final String ID = "gpu.ecc";

    public EccCheck() {
        super(ID, "ECC is enabled, no uncorrectable ECC error since reset, corrected errors below the threshold");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (!driverAnswered(inventory)) {
            return noDriver(inventory);
        }
        long warnAbove = context.settings().gpu().eccCorrectedWarn();
        List<String> failures = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        int known = 0;
        Finding finding = Finding.pass("");
        List<String> observed = new ArrayList<>();
        for (Gpu gpu : inventory.getGpusList()) {
            GpuEcc ecc = gpu.getEcc();
            if (!ecc.hasEnabled()) {
                continue;
            }
            known++;
            if (!ecc.getEnabled()) {
                warnings.add(label(gpu) + " has ECC disabled");
                observed.add(subject(gpu) + " off");
                continue;
            }
            if (ecc.hasVolatileUncorrected() && ecc.getVolatileUncorrected() > 0) {
                failures.add(label(gpu) + ": " + ecc.getVolatileUncorrected() + " uncorrectable ECC error(s) since reset");
            }
            if (ecc.hasAggregateCorrected() && ecc.getAggregateCorrected() > warnAbove) {
                warnings.add(label(gpu) + ": " + ecc.getAggregateCorrected() + " corrected ECC errors (lifetime), above " + warnAbove);
            }
            observed.add(subject(gpu) + " uncorrected " + (ecc.hasVolatileUncorrected() ? ecc.getVolatileUncorrected() : "?")
                    + " corrected " + (ecc.hasAggregateCorrected() ? ecc.getAggregateCorrected() : "?"));
        }
        if (known == 0) {
            return Finding.skip("no GPU reports its ECC mode (" + inventory.getSource() + ")");
        }
        if (!failures.isEmpty()) {
            finding = Finding.fail(firstOf(failures))
                    .remediation("drain the node and reset the GPU (nvidia-smi -r); replace it if errors return");
        } else if (!warnings.isEmpty()) {
            finding = Finding.warn(firstOf(warnings))
                    .remediation("enable ECC (nvidia-smi -e 1, then a reset); watch a GPU whose corrected errors keep rising");
        } else {
            finding = Finding.pass("ECC enabled on " + known + " GPU(s), no uncorrectable error since reset");
        }
        return finding.observed(String.join(", ", observed))
                .expected("ECC enabled, 0 uncorrectable since reset, corrected <= " + warnAbove);
    }
}
