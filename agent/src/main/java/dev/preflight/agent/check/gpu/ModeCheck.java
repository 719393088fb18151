package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import java.util.ArrayList;
import java.util.List;

/**
 * Compute mode DEFAULT and MIG off (unless --allow-mig): an exclusive or prohibited GPU answers a
 * second process with "busy or unavailable", and MIG splits the GPU that a tensor-parallel rank
 * needs whole ("Multiple Ranks are using the same GPU/Partition"). Persistence mode off is a
 * warning: each process then pays driver initialisation.
 */
public final class ModeCheck extends GpuCheck {
    public static final String ID = "gpu.mode";

    public ModeCheck() {
        super(ID, "compute mode DEFAULT, MIG disabled (unless --allow-mig), persistence mode on");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (!driverAnswered(inventory)) {
            return noDriver(inventory);
        }
        boolean allowMig = context.settings().gpu().allowMig();
        List<String> failures = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<String> observed = new ArrayList<>();
        for (Gpu gpu : inventory.getGpusList()) {
            if (!gpu.getComputeMode().isEmpty() && !gpu.getComputeMode().equals("DEFAULT")) {
                failures.add(label(gpu) + " compute mode " + gpu.getComputeMode());
            }
            if (gpu.getMigEnabled()) {
                (allowMig ? warnings : failures).add(label(gpu) + " has MIG enabled"
                        + (gpu.hasMigDevices() ? " (" + gpu.getMigDevices() + " instances)" : ""));
            }
            if (gpu.hasPersistenceMode() && !gpu.getPersistenceMode()) {
                warnings.add(label(gpu) + " persistence mode off");
            }
            observed.add(subject(gpu) + " " + (gpu.getComputeMode().isEmpty() ? "?" : gpu.getComputeMode())
                    + " MIG " + (gpu.hasMigEnabled() ? (gpu.getMigEnabled() ? "on" : "off") : "?")
                    + " persistence " + (gpu.hasPersistenceMode() ? (gpu.getPersistenceMode() ? "on" : "off") : "?"));
        }
        Finding finding;
        if (!failures.isEmpty()) {
            finding = Finding.fail(firstOf(failures))
                    .remediation("nvidia-smi -c DEFAULT; disable MIG with nvidia-smi -mig 0 and a GPU reset "
                            + "(or pass --allow-mig when MIG partitions are intended)");
        } else if (!warnings.isEmpty()) {
            finding = Finding.warn(firstOf(warnings)).remediation("enable persistence (nvidia-persistenced, or nvidia-smi -pm 1)");
        } else {
            finding = Finding.pass("compute mode DEFAULT and MIG off on " + inventory.getGpusCount() + " GPU(s)");
        }
        return finding.observed(String.join(", ", observed))
                .expected("DEFAULT, MIG " + (allowMig ? "allowed" : "off") + ", persistence on");
    }
}
