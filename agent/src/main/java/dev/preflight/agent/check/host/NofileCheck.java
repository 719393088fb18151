package dev.preflight.agent.check.host;

import dev.preflight.agent.check.Check;
import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.check.Threshold;
import dev.preflight.agent.hostfs.ProcLimits;
import dev.preflight.agent.hostfs.ProcLimits.Limit;
import dev.preflight.proto.v1.Scope;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * NCCL raises its soft open-file limit to the hard limit at init, then opens sockets per peer and
 * channel; large all-to-alls past the hard limit fail with "Too many open files" (NCCL issue 550).
 * So the hard limit is what counts. With --host-views the host's default (PID 1's) is shown too.
 */
public final class NofileCheck extends Check {
    public static final String ID = "host.nofile";

    public static final Threshold FAIL_BELOW = new Threshold("host.nofile.fail_below", 4096, "files",
            "hard open-file limit below which NCCL at scale runs out of descriptors (FAIL)");
    public static final Threshold WARN_BELOW = new Threshold("host.nofile.warn_below", 65536, "files",
            "hard open-file limit below which large all-to-alls may run out of descriptors (WARN)");
    public static final List<Threshold> THRESHOLDS = List.of(FAIL_BELOW, WARN_BELOW);

    static final String REMEDIATION = "raise the hard open-file limit (docker --ulimit nofile=1048576:1048576; "
            + "systemd LimitNOFILE=1048576 for the container runtime; /etc/security/limits.conf '* hard nofile 1048576')";

    public NofileCheck() {
        super(ID, Scope.PROCESS,
                "hard open-file limit (RLIMIT_NOFILE) is high enough for NCCL's sockets (NCCL raises the soft limit to it)",
                THRESHOLDS);
    }

    @Override
    public Finding run(CheckContext context) throws Exception {
        Limit own = nofile(context, "self");
        Optional<Limit> host = context.settings().hostViews() ? Optional.of(nofile(context, "1")) : Optional.empty();
        return evaluate(own, host, (long) FAIL_BELOW.value(context), (long) WARN_BELOW.value(context));
    }

    private static Limit nofile(CheckContext context, String process) throws Exception {
        Path path = context.fs().proc(process + "/limits");
        ProcLimits limits = context.host().limits(context, process);
        Optional<Limit> limit = limits.get(ProcLimits.MAX_OPEN_FILES);
        if (limit.isEmpty()) {
            throw new MalformedInputException(path, ProcLimits.MAX_OPEN_FILES + " absent", "a '" + ProcLimits.MAX_OPEN_FILES + "' line");
        }
        return limit.get();
    }

    static Finding evaluate(Limit own, Optional<Limit> host, long failBelow, long warnBelow) {
        String observed = "soft " + describe(own.soft()) + ", hard " + describe(own.hard())
                + host.map(limit -> "; host default (PID 1) soft " + describe(limit.soft()) + ", hard " + describe(limit.hard()))
                        .orElse("");
        String expected = "hard limit at least " + warnBelow;
        long hard = own.hardUnlimited() ? Long.MAX_VALUE : own.hard();
        Finding finding;
        if (hard < failBelow) {
            finding = Finding.fail("hard open-file limit is " + hard + ", below " + failBelow
                    + ": NCCL runs out of descriptors ('Too many open files') as peers and channels grow")
                    .remediation(REMEDIATION);
        } else if (hard < warnBelow) {
            finding = Finding.warn("hard open-file limit is " + hard + ", below the " + warnBelow
                    + " that large all-to-alls across many nodes can need")
                    .remediation(REMEDIATION);
        } else {
            String soft = !own.softUnlimited() && own.soft() < warnBelow
                    ? " (soft limit " + own.soft() + ": NCCL raises it to the hard limit at init)" : "";
            finding = Finding.pass("hard open-file limit is " + describe(own.hard()) + soft);
        }
        return finding.observed(observed).expected(expected)
                .measurement("nofile_hard", own.hardUnlimited() ? -1 : own.hard(), "count", "")
                .measurement("nofile_soft", own.softUnlimited() ? -1 : own.soft(), "count", "");
    }

    private static String describe(long value) {
        return value == Limit.UNLIMITED ? "unlimited" : String.valueOf(value);
    }
}
