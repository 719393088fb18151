package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.check.Checks;
import dev.preflight.agent.check.GpuLimits;
import dev.preflight.agent.gpu.GpuSources;
import dev.preflight.agent.gpu.GpuTestNode;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Runs every gpu.* check of the catalog (gpu.xid aside: it reads the kernel log) and keys the results by id. */
public final class GpuCheckProbe {
    private GpuCheckProbe() {}

    public static Map<String, CheckResult> run(HostFs fs, GpuSources sources, GpuLimits limits) {
        List<Check> checks = Checks.standard().all().stream()
                .filter(check -> check.id().startsWith("gpu.") && !check.id().equals(XidCheck.ID))
                .collect(Collectors.toList());
        Map<String, CheckResult> results = new LinkedHashMap<>();
        for (CheckResult result : GpuTestNode.runAll(checks, fs, CheckSettings.builder().gpu(limits).build(), sources)) {
            results.put(result.getId(), result);
        }
        return results;
    }
}
