package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Scope;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which NCCL the bench measured, as the nccl.library result: the file and version the workers
 * loaded and how the agent chose it. Given the version the serving engine runs, a different one
 * is a WARN: the figures describe another NCCL than the one that will carry the model's traffic.
 */
public final class NcclLibraryCheck {
    public static final String ID = "nccl.library";
    /** NCCL's version as ncclGetVersion spells it: major.minor.patch. */
    public static final Pattern VERSION = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

    private NcclLibraryCheck() {}

    /**
     * @param expected the version the workload runs (major.minor.patch), or null when not given
     */
    public static CheckResult of(List<BenchWorker> workers, String expected) {
        Set<String> loaded = new LinkedHashSet<>();
        Set<String> origins = new LinkedHashSet<>();
        Set<String> versions = new LinkedHashSet<>();
        for (BenchWorker worker : workers) {
            loaded.add("NCCL " + worker.getNcclVersion() + " " + worker.getNcclLibrary());
            versions.add(worker.getNcclVersion());
            if (!worker.getNcclLibraryOrigin().isEmpty()) {
                origins.add(worker.getNcclLibraryOrigin());
            }
        }
        String observed = String.join("; ", loaded);
        CheckResult.Builder check = CheckResult.newBuilder()
                .setId(ID)
                .setScope(Scope.PROCESS)
                .setObserved(observed + (origins.isEmpty() ? "" : " (chosen by " + String.join(", ", origins) + ")"))
                .setExpected(expected == null ? "the NCCL the serving engine loads (--expect-nccl not given)"
                        : "NCCL " + expected + ", the version the serving engine runs");
        if (workers.isEmpty()) {
            return check.setStatus(CheckResult.Status.SKIP).setSummary("no bench worker opened NCCL").build();
        }
        if (expected == null || (versions.size() == 1 && versions.contains(expected))) {
            return check.setStatus(CheckResult.Status.PASS).setSummary("benched " + observed).build();
        }
        return check.setStatus(CheckResult.Status.WARN)
                .setSummary("benched " + observed + ", not NCCL " + expected + " that the serving engine runs")
                .setRemediation("point the bench at the engine's NCCL (--nccl-lib PATH, e.g. the engine image's "
                        + "site-packages/nvidia/nccl/lib/libnccl.so.2) or correct --expect-nccl")
                .build();
    }
}
