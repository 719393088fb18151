package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.GpuProcess;
import java.util.ArrayList;
import java.util.List;

/**
 * No process holds a GPU: the bench must not run over a workload, and a model will not fit
 * beside one. PIDs are the host's (NVML reports host PIDs even to a container); their names come
 * from the procfs root, which in a pod must be the host's /proc (--procfs /host/proc).
 */
public final class BusyCheck extends GpuCheck {
    public static final String ID = "gpu.busy";
    /** Memory in use without a listed process: processes this agent cannot see (another container's). */
    public static final long UNSEEN_USE_BYTES = ByteSizes.GIB;

    public BusyCheck() {
        super(ID, "no compute process holds a GPU, so the bench and the model get them whole");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        if (!driverAnswered(inventory)) {
            return noDriver(inventory);
        }
        List<String> busy = new ArrayList<>();
        List<String> unseen = new ArrayList<>();
        int known = 0;
        for (Gpu gpu : inventory.getGpusList()) {
            if (!gpu.getProcessesKnown()) {
                continue;
            }
            known++;
            for (GpuProcess process : gpu.getProcessesList()) {
                busy.add(label(gpu) + " held by host pid " + process.getPid()
                        + (process.getName().isEmpty() ? "" : " (" + process.getName() + ")")
                        + (process.hasUsedMemoryBytes() ? ", " + ByteSizes.format(process.getUsedMemoryBytes()) : ""));
            }
            if (gpu.getProcessesCount() == 0 && gpu.hasMemoryUsedBytes() && gpu.getMemoryUsedBytes() > UNSEEN_USE_BYTES) {
                unseen.add(label(gpu) + " has " + ByteSizes.format(gpu.getMemoryUsedBytes()) + " in use by no listed process");
            }
        }
        if (known == 0) {
            return Finding.skip("no GPU's process list could be read (" + inventory.getSource() + ")");
        }
        String observed = busy.size() + " process(es) on " + known + " GPU(s)";
        if (!busy.isEmpty()) {
            return Finding.fail(firstOf(busy))
                    .observed(observed)
                    .expected("no process on any GPU")
                    .remediation("stop or drain the workload first (cordon the node, stop the inference server), then run again");
        }
        if (!unseen.isEmpty()) {
            return Finding.warn(firstOf(unseen) + ": a process this agent cannot see (another container?)")
                    .observed(observed)
                    .expected("no process on any GPU")
                    .remediation("run the agent with the host's PID view (hostPID, --procfs /host/proc) to name the holder");
        }
        return Finding.pass("no compute process on " + known + " GPU(s)").observed(observed).expected("no process on any GPU");
    }
}
