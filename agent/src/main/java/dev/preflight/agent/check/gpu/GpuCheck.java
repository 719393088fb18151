package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.GpuSourceAttempt;
import dev.preflight.proto.v1.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What every gpu.* check shares: the node's one GPU inventory (NVML, else nvidia-smi, else the
 * PCI bus), taken once per run, and how each source fared recorded as evidence.
 */
abstract class GpuCheck extends Check {
    static final String NVML = "nvml";

    /** GPUs belong to the machine: every gpu.* check is host-scoped. */
    GpuCheck(String id, String description) {
        super(id, Scope.HOST, description);
    }

    @Override
    public final Finding run(CheckContext context) throws Exception {
        // Leave the runner's own deadline a margin, so a hung inventory is reported as such.
        Duration wait = context.settings().checkTimeout().multipliedBy(9).dividedBy(10);
        Optional<GpuInventory> inventory = context.gpuInventory().inventory(wait);
        if (inventory.isEmpty()) {
            return Finding.error("the GPU inventory did not finish within " + wait.toSeconds()
                    + " s: a hung driver, NVML call or nvidia-smi")
                    .remediation("check the driver (dmesg for NVRM errors, 'nvidia-smi' by hand) and reset or drain the node");
        }
        context.evidence("gpu inventory", describe(inventory.get()));
        return evaluate(inventory.get(), context);
    }

    abstract Finding evaluate(GpuInventory inventory, CheckContext context) throws Exception;

    /** The source and every attempt, one per line: what the report shows of how GPUs were found. */
    static String describe(GpuInventory inventory) {
        StringBuilder text = new StringBuilder();
        text.append("source: ").append(inventory.getSource().isEmpty() ? "none" : inventory.getSource())
                .append(", ").append(inventory.getGpusCount()).append(" GPU(s), ")
                .append(inventory.getPciDevicesCount()).append(" on the PCI bus");
        for (GpuSourceAttempt attempt : inventory.getAttemptsList()) {
            text.append('\n').append(attempt.getSource()).append(' ')
                    .append(attempt.getOutcome().name().toLowerCase(Locale.ROOT));
            if (attempt.getOutcome() != GpuSourceAttempt.Outcome.NOT_TRIED) {
                text.append(" (").append(attempt.getDurationMicros() / 1000).append(" ms)");
            }
            if (!attempt.getDetail().isEmpty()) {
                text.append(": ").append(attempt.getDetail());
            }
        }
        for (String unavailable : inventory.getUnavailableList()) {
            text.append("\nunavailable: ").append(unavailable);
        }
        return text.toString();
    }

    /** True when a driver (NVML or nvidia-smi) answered, not just the PCI bus. */
    static boolean driverAnswered(GpuInventory inventory) {
        return !inventory.getSource().isEmpty() && !inventory.getSource().equals("pci");
    }

    /** Why a check has nothing to judge: no driver answered; the attempts say why. */
    static Finding noDriver(GpuInventory inventory) {
        if (inventory.getPciDevicesCount() == 0 && inventory.getGpusCount() == 0) {
            return Finding.skip("no NVIDIA GPU on this node (none on the PCI bus, no driver answered)");
        }
        return Finding.skip("no GPU driver answered (" + attemptSummary(inventory) + "); gpu.present judges that");
    }

    static String attemptSummary(GpuInventory inventory) {
        List<String> parts = new ArrayList<>();
        for (GpuSourceAttempt attempt : inventory.getAttemptsList()) {
            if (attempt.getOutcome() == GpuSourceAttempt.Outcome.UNAVAILABLE
                    || attempt.getOutcome() == GpuSourceAttempt.Outcome.FAILED) {
                parts.add(attempt.getDetail());
            }
        }
        return String.join("; ", parts);
    }

    /** "GPU 3 (0000:5d:00.0)", the way findings name a GPU. */
    static String label(Gpu gpu) {
        return (gpu.getIndex() >= 0 ? "GPU " + gpu.getIndex() : "GPU") + " (" + gpu.getPciBusId() + ")";
    }

    static String subject(Gpu gpu) {
        return gpu.getIndex() >= 0 ? "gpu" + gpu.getIndex() : gpu.getPciBusId();
    }

    /** The first few problems and how many more, so a summary stays one line on 8 GPUs. */
    static String firstOf(List<String> problems) {
        int shown = Math.min(3, problems.size());
        String text = String.join("; ", problems.subList(0, shown));
        return problems.size() > shown ? text + "; and " + (problems.size() - shown) + " more" : text;
    }
}
