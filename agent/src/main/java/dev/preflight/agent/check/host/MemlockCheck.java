package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.Capabilities;
import dev.preflight.agent.hostfs.ProcLimits;
import dev.preflight.agent.hostfs.ProcLimits.Limit;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Scope;
import java.nio.file.Path;
import java.util.Optional;

/**
 * RDMA registers (pins) NCCL's buffers; under a finite RLIMIT_MEMLOCK that fails with "ibv_create_cq
 * ... Cannot allocate memory". Containers default to 64 KiB (Docker) or 8 MiB (containerd), so the
 * deployment runs with memlock=-1 and this check wants exactly that, in the process it runs in.
 */
public final class MemlockCheck extends Check {
    public static final String ID = "host.memlock";

    static final String REMEDIATION = "run the workload with an unlimited locked-memory limit "
            + "(docker --ulimit memlock=-1; containerd/CRI-O: LimitMEMLOCK=infinity for the runtime service; "
            + "Slurm: PropagateResourceLimits or 'ulimit -l unlimited' in the prolog) and grant CAP_IPC_LOCK";

    public MemlockCheck() {
        super(ID, Scope.PROCESS,
                "max locked memory (RLIMIT_MEMLOCK) is unlimited, as RDMA buffer registration needs; CAP_IPC_LOCK reported");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        Path limitsPath = context.fs().proc("self/limits");
        ProcLimits limits = context.host().limits(context, "self");
        Optional<Limit> memlock = limits.get(ProcLimits.MAX_LOCKED_MEMORY);
        if (memlock.isEmpty()) {
            throw new MalformedInputException(limitsPath, ProcLimits.MAX_LOCKED_MEMORY + " absent",
                    "a '" + ProcLimits.MAX_LOCKED_MEMORY + "' line");
        }
        Optional<Capabilities> capabilities = context.host().capabilities(context, "self");
        Boolean ipcLock = capabilities.isPresent() ? capabilities.get().has(Capabilities.CAP_IPC_LOCK) : null;
        return evaluate(memlock.get(), ipcLock);
    }

    /** The verdict for a memlock limit and whether CAP_IPC_LOCK is effective (null: unknown). */
    static Finding evaluate(Limit memlock, Boolean ipcLock) {
        String capability = ipcLock == null ? "CAP_IPC_LOCK unknown (no /proc/self/status)"
                : ipcLock ? "CAP_IPC_LOCK effective" : "CAP_IPC_LOCK not effective";
        String observed = "soft " + describe(memlock.soft()) + ", hard " + describe(memlock.hard()) + "; " + capability;
        if (memlock.softUnlimited()) {
            return Finding.pass("max locked memory is unlimited; " + capability)
                    .observed(observed)
                    .expected("unlimited");
        }
        if (Boolean.TRUE.equals(ipcLock)) {
            // The kernel lets a CAP_IPC_LOCK holder pin past RLIMIT_MEMLOCK (ib_umem_get), so RDMA
            // registration still works; the setting still differs from the deployment's memlock=-1.
            return Finding.warn("max locked memory is limited to " + describe(memlock.soft())
                            + "; CAP_IPC_LOCK lets RDMA registration exceed it, but the deployment expects memlock=-1")
                    .observed(observed)
                    .expected("unlimited")
                    .remediation(REMEDIATION);
        }
        return Finding.fail("max locked memory is limited to " + describe(memlock.soft())
                        + " and CAP_IPC_LOCK is " + (ipcLock == null ? "unknown" : "missing")
                        + ": RDMA registration will fail with 'Cannot allocate memory'")
                .observed(observed)
                .expected("unlimited")
                .remediation(REMEDIATION);
    }

    private static String describe(long value) {
        return value == Limit.UNLIMITED ? "unlimited" : ByteSizes.format(value);
    }
}
