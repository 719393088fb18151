package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.v1.TransportProof;

/** The transport NCCL's own log proves, as the nccl.transport result: a socket fall-back where RDMA ports are up fails. */
public final class TransportCheck {
    public static final String ID = "nccl.transport";

    private TransportCheck() {}

    public static CheckResult of(TransportProof proof) {
        CheckResult.Builder check = CheckResult.newBuilder()
                .setId(ID)
                .setScope(Scope.HOST)
                .setSummary(proof.getSummary())
                .setObserved(String.join(", ", proof.getTransportsList()))
                .setExpected("NCCL's own log names the transports it used, and no socket fall-back where "
                        + "InfiniBand/RoCE ports are active");
        switch (proof.getVerdict()) {
            case PROVEN:
                return check.setStatus(CheckResult.Status.PASS).build();
            case SOCKET_FALLBACK:
                return check.setStatus(CheckResult.Status.FAIL)
                        .setRemediation("make the RDMA devices visible to NCCL (/dev/infiniband in the container, "
                                + "NCCL_IB_HCA naming the active ports, NCCL_IB_DISABLE unset) and rerun")
                        .build();
            default:
                return check.setStatus(CheckResult.Status.WARN)
                        .setRemediation("rerun with the worker logs kept (--bench-dir) and read NCCL's INFO lines")
                        .build();
        }
    }
}
