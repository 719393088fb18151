package dev.preflight.coordinator.cli;

import dev.preflight.agent.bench.NcclTestsCommand;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.SizeRow;
import java.util.Locale;

/**
 * nccl-tests' table (util.cu's column widths and number formats), so preflight's lines compare
 * line by line with the reference tool's: redop "sum" and root -1 on every line, as nccl-tests
 * prints its default op even for sendrecv. With per-iteration timing, the out-of-place p50 and p99
 * latencies follow as two extra columns.
 */
final class BenchTable {
    private BenchTable() {}

    static String header(BenchSpec.Op op, BenchSpec.DataType dtype, int nranks, boolean perIteration) {
        String extra = perIteration ? "      p50      p99" : "";
        String extraUnits = perIteration ? "     (us)     (us)" : "";
        return "# " + name(op) + " " + dtype.name().toLowerCase(Locale.ROOT) + " on " + nranks + " rank"
                + (nranks == 1 ? "" : "s") + "\n"
                + "#                                                              out-of-place                       in-place          \n"
                + "#       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong" + extra + "\n"
                + "#        (B)    (elements)                               (us)  (GB/s)  (GB/s)            (us)  (GB/s)  (GB/s)       " + extraUnits + "\n";
    }

    static String row(BenchSpec.DataType dtype, SizeRow row, boolean perIteration) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%12d  %12d  %8s  %6s  %6d",
                row.getSizeBytes(), row.getCount(), NcclTestsCommand.dtype(dtype), "sum", -1));
        placement(line, row.getOutOfPlace());
        placement(line, row.getInPlace());
        if (perIteration) {
            line.append(String.format(Locale.ROOT, "  %7s  %7s", time(row.getOutOfPlace().getP50Us()),
                    time(row.getOutOfPlace().getP99Us())));
        }
        return line.append('\n').toString();
    }

    /** nccl-tests' footer under the collective's name; results that did not finish say why. */
    static String footer(CollectiveResult result) {
        StringBuilder text = new StringBuilder();
        text.append("# ").append(name(result.getOp())).append(' ')
                .append(result.getDtype().name().toLowerCase(Locale.ROOT)).append(" on ").append(result.getNranks())
                .append(result.getNranks() == 1 ? " rank" : " ranks").append('\n');
        text.append("# Out of bounds values : ").append(result.getWrongTotal())
                .append(result.getWrongTotal() == 0 ? " OK" : " FAILED").append('\n');
        text.append(String.format(Locale.ROOT, "# Avg bus bandwidth    : %g%n", result.getAvgBusbwGbps()));
        if (result.getOutcome() != CollectiveResult.Outcome.OK && result.getOutcome() != CollectiveResult.Outcome.WRONG_RESULTS) {
            text.append("# ").append(result.getOutcome().name());
            if (!result.getFailedCall().isEmpty()) {
                text.append(" in ").append(result.getFailedCall());
            }
            if (result.getFailedRanksCount() > 0) {
                text.append(" (ranks ").append(result.getFailedRanksList().toString().replaceAll("[\\[\\]]", ""))
                        .append(')');
            }
            text.append(": ").append(result.getError()).append('\n');
        }
        return text.append('#').append('\n').toString();
    }

    private static void placement(StringBuilder line, Placement p) {
        line.append(String.format(Locale.ROOT, "  %7s  %6.2f  %6.2f  %5s", time(p.getTimeUs()), p.getAlgbwGbps(),
                p.getBusbwGbps(), p.getWrong() < 0 ? "N/A" : Long.toString(p.getWrong())));
    }

    /** nccl-tests' time column: 2 decimals below 100 us, 1 below 10 ms, none above. */
    static String time(double us) {
        if (us >= 10000.0) {
            return String.format(Locale.ROOT, "%7.0f", us);
        }
        return String.format(Locale.ROOT, us >= 100.0 ? "%7.1f" : "%7.2f", us);
    }

    static String name(BenchSpec.Op op) {
        return op.name().toLowerCase(Locale.ROOT);
    }


}
