package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.check.Tally;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.Capabilities;
import dev.preflight.agent.hostfs.HostModel;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.hostfs.SysfsValues;
import dev.preflight.proto.v1.Scope;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Ranks on one node share GPU memory: engines pass CUDA allocations between sibling processes with
 * pidfd_getfd(), which Yama refuses between non-descendants unless the caller holds CAP_SYS_PTRACE
 * ("pidfd_getfd: Operation not permitted", "failed to open CUDA IPC handle"); RDMA registration
 * wants CAP_IPC_LOCK. NCCL's own IPC passes handles over Unix sockets and needs neither.
 */
public final class IpcCheck extends Check {
    public static final String ID = "host.ipc";

    static final String PTRACE_REMEDIATION = "grant CAP_SYS_PTRACE to the workload (docker --cap-add SYS_PTRACE; "
            + "Kubernetes securityContext.capabilities.add: [SYS_PTRACE]) or set kernel.yama.ptrace_scope=0 on the host";
    static final String SCOPE3_REMEDIATION = "set kernel.yama.ptrace_scope to 0 or 1 on the host: scope 3 forbids "
            + "attaching until reboot, whatever the capabilities";
    static final String IPC_LOCK_REMEDIATION = "grant CAP_IPC_LOCK to the workload (docker --cap-add IPC_LOCK; "
            + "Kubernetes securityContext.capabilities.add: [IPC_LOCK])";

    public IpcCheck() {
        super(ID, Scope.PROCESS,
                "Yama ptrace_scope and CapEff allow sibling ranks to share GPU memory (CAP_SYS_PTRACE) and pin memory (CAP_IPC_LOCK)");
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        Path scopePath = context.fs().proc("sys/kernel/yama/ptrace_scope");
        Optional<String> scopeText = context.readIfPresent(scopePath);
        Optional<Integer> scope = Optional.empty();
        if (scopeText.isPresent()) {
            long value = SysfsValues.decimal(scopePath.toString(), scopeText.get());
            if (value < 0 || value > 3) {
                throw new MalformedInputException(scopePath, scopeText.get(), "a Yama ptrace scope 0-3");
            }
            scope = Optional.of((int) value);
        }
        Path statusPath = context.fs().proc("self/status");
        Capabilities capabilities = context.host().capabilities(context, "self")
                .orElseThrow(() -> HostModel.absent(statusPath));
        return evaluate(scope, capabilities.has(Capabilities.CAP_SYS_PTRACE), capabilities.has(Capabilities.CAP_IPC_LOCK));
    }

    /** Empty scope: no Yama module, classic ptrace rules (same user may attach). */
    static Finding evaluate(Optional<Integer> scope, boolean sysPtrace, boolean ipcLock) {
        String observed = "ptrace_scope " + scope.map(String::valueOf).orElse("absent (no Yama)")
                + "; CAP_SYS_PTRACE " + (sysPtrace ? "effective" : "not effective")
                + "; CAP_IPC_LOCK " + (ipcLock ? "effective" : "not effective");
        Tally outcome = new Tally();
        int value = scope.orElse(0);
        if (value == 3) {
            outcome.warn("Yama ptrace_scope is 3: no process may attach to another, so pidfd_getfd() between ranks fails",
                    SCOPE3_REMEDIATION);
        } else if (value >= 1 && !sysPtrace) {
            outcome.warn("Yama ptrace_scope is " + value + " and CAP_SYS_PTRACE is not effective: sibling ranks cannot "
                    + "share GPU memory through pidfd_getfd() ('Operation not permitted')", PTRACE_REMEDIATION);
        }
        if (!ipcLock) {
            outcome.warn("CAP_IPC_LOCK is not effective: RDMA registration is bound by the memlock limit alone",
                    IPC_LOCK_REMEDIATION);
        }
        return outcome.finding("ranks may share GPU memory and pin buffers")
                .observed(observed)
                .expected("ptrace_scope 0, or CAP_SYS_PTRACE with scope 1-2; CAP_IPC_LOCK effective");
    }
}
