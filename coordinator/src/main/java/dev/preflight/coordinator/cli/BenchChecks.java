package dev.preflight.coordinator.cli;

import dev.preflight.coordinator.collective.TransportCheck;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.Scope;
import dev.preflight.reports.Names;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A node bench as check results, so the verdict and the terminal summary treat it like any check:
 * nccl.OP.DTYPE per collective (wrong data or a hang fails, an error is an error) and
 * nccl.transport for the transport proof (a socket fall-back fails).
 */
final class BenchChecks {
    private BenchChecks() {}

    static List<CheckResult> of(CollectiveResults results) {
        List<CheckResult> checks = new ArrayList<>();
        for (CollectiveResult result : results.getResultsList()) {
            checks.add(collective(result));
        }
        checks.add(TransportCheck.of(results.getTransport()));
        return checks;
    }

    private static CheckResult collective(CollectiveResult result) {
        String what = BenchTable.name(result.getOp()) + " " + result.getDtype().name().toLowerCase(Locale.ROOT)
                + " on " + result.getNranks() + " rank" + (result.getNranks() == 1 ? "" : "s");
        CheckResult.Builder check = CheckResult.newBuilder()
                .setId("nccl." + BenchTable.name(result.getOp()) + "." + result.getDtype().name().toLowerCase(Locale.ROOT))
                .setScope(Scope.HOST)
                .setExpected("every size completes before the deadline with 0 wrong elements");
        if (result.getRowsCount() > 0) {
            check.addMeasurements(Measurement.newBuilder().setName("peak_busbw").setValue(result.getPeakBusbwGbps())
                    .setUnit("GB/s"));
            check.addMeasurements(Measurement.newBuilder().setName("avg_busbw").setValue(result.getAvgBusbwGbps())
                    .setUnit("GB/s"));
            check.addMeasurements(Measurement.newBuilder().setName("wrong").setValue(result.getWrongTotal())
                    .setUnit("count"));
        }
        String ranks = result.getFailedRanksCount() == 0 ? ""
                : " (ranks " + result.getFailedRanksList().toString().replaceAll("[\\[\\]]", "") + ")";
        switch (result.getOutcome()) {
            case OK:
                return check.setStatus(CheckResult.Status.PASS)
                        .setSummary(String.format(Locale.ROOT, "%s: peak bus bandwidth %.2f GB/s over %d sizes, "
                                + "0 wrong elements", what, result.getPeakBusbwGbps(), result.getRowsCount()))
                        .build();
            case WRONG_RESULTS:
                return check.setStatus(CheckResult.Status.FAIL)
                        .setSummary(what + ": " + result.getWrongTotal() + " wrong element(s)"
                                + (result.getWrongRanksCount() == 0 ? "" : " in the output of "
                                        + Names.wrongRanks(result.getWrongRanksList()))
                                + ": the data NCCL delivered differs from the inputs' result")
                        .setObserved(result.getWrongTotal() + " wrong elements")
                        .setRemediation("run the GPUs' memory and NVLink diagnostics (dcgmi diag -r 3) and check the "
                                + "NICs' error counters; corrupt collectives must not serve a model")
                        .build();
            case TIMEOUT:
                return check.setStatus(CheckResult.Status.FAIL)
                        .setSummary(what + ": " + result.getFailedCall() + " hung" + ranks + ": " + result.getError())
                        .setObserved("no completion before the deadline")
                        .setRemediation("look for the hung rank's GPU or link (NCCL logs in the report), and for "
                                + "firewalls between the nodes' bootstrap interfaces")
                        .build();
            case NOT_RUN:
                return check.setStatus(CheckResult.Status.SKIP).setSummary(what + ": " + result.getError()).build();
            default:
                return check.setStatus(CheckResult.Status.ERROR)
                        .setSummary(what + ": " + result.getFailedCall() + " failed" + ranks + ": " + result.getError())
                        .build();
        }
    }
}
