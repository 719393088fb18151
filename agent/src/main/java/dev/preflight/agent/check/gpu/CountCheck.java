package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.GpuInventory;
import java.util.HashSet;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The node has the GPUs the deployment plans for (--expect-gpus), each once: a tensor-parallel
 * group of 8 on a node with 7 fails at start-up ("cannot be larger than ... (8)"). Without an
 * expected count the count is reported for the coordinator to compare across nodes.
 */
public final class CountCheck extends GpuCheck {
    public static final String ID = "gpu.count";

    public CountCheck() {
        super(ID, "the number of GPUs equals --expect-gpus, each with a distinct bus id and UUID");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) {
        int count = driverAnswered(inventory) ? inventory.getGpusCount() : inventory.getPciDevicesCount();
        String where = driverAnswered(inventory) ? "visible to " + inventory.getSource() : "on the PCI bus (no driver answered)";
        Set<String> busIds = new HashSet<>();
        Set<String> uuids = new HashSet<>();
        for (Gpu gpu : inventory.getGpusList()) {
            if (!busIds.add(gpu.getPciBusId()) || (!gpu.getUuid().isEmpty() && !uuids.add(gpu.getUuid()))) {
                return Finding.fail("two GPUs report the same bus id or UUID (" + gpu.getPciBusId() + ", " + gpu.getUuid()
                                + "): ranks would land on one device ('Duplicate GPU detected')")
                        .observed(count + " GPU(s) " + where)
                        .remediation("check CUDA_VISIBLE_DEVICES / NVIDIA_VISIBLE_DEVICES and the device plugin's allocation");
            }
        }
        OptionalInt expected = context.settings().gpu().expectGpus();
        String observed = count + " GPU(s) " + where;
        if (expected.isEmpty()) {
            return Finding.skip("no expected count given (--expect-gpus); " + observed)
                    .observed(observed)
                    .measurement("gpu_count", count, "count", "");
        }
        Finding finding = count == expected.getAsInt()
                ? Finding.pass(observed + ", as expected")
                : Finding.fail(observed + ", expected " + expected.getAsInt())
                        .remediation("find the missing GPU (gpu.present, the kernel log) or correct --expect-gpus");
        return finding.observed(observed)
                .expected(expected.getAsInt() + " GPU(s)")
                .measurement("gpu_count", count, "count", "");
    }
}
