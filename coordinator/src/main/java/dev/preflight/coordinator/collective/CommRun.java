package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.TransportProof;
import dev.preflight.reports.Names;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/**
 * One run of one communicator: its results (one per op and dtype of the spec, the same rows every
 * member saw), each member's transport proof, and the nodes found dead or stalled while it ran.
 * (How each collective ended, OK or an error, is {@code CollectiveResult.Outcome}.)
 *
 * @param transports by node name, for the members that answered
 * @param lost node name to why it is considered lost
 */
public record CommRun(Communicator comm, CollectiveResults results, Map<String, TransportProof> transports,
        Map<String, String> lost, Duration wall) {
    private static final Pattern DETERMINISTIC = Pattern.compile(
            "\\bINVALID_ARGUMENT: |\\(NCCL error [45]\\)|\\(CUDA error [12]\\)");

    public CommRun {
        transports = Map.copyOf(transports);
        lost = Map.copyOf(lost);
    }

    /** A communicator that never ran: the first (op, dtype) carries the error, the rest are NOT_RUN. */
    static CommRun failed(Communicator comm, String error, Map<String, String> lost, Duration wall) {
        CollectiveResults.Builder results = CollectiveResults.newBuilder();
        int nranks = comm.layout().nranks();
        for (BenchSpec.Op op : comm.spec().getOpsList()) {
            for (BenchSpec.DataType dtype : comm.spec().getDtypesList()) {
                CollectiveResult.Builder result = CollectiveResult.newBuilder().setOp(op).setDtype(dtype).setNranks(nranks);
                if (results.getResultsCount() == 0) {
                    result.setOutcome(CollectiveResult.Outcome.ERROR).setError(error);
                } else {
                    result.setOutcome(CollectiveResult.Outcome.NOT_RUN).setError("not run: " + error);
                }
                results.addResults(result);
            }
        }
        return new CommRun(comm, results.build(), Map.of(), lost, wall);
    }

    /** Every op completed with correct data. */
    public boolean ok() {
        return results.getResultsCount() > 0 && results.getResultsList().stream()
                .allMatch(r -> r.getOutcome() == CollectiveResult.Outcome.OK);
    }

    /** The first result that did not complete cleanly, if any. */
    public CollectiveResult firstFailure() {
        for (CollectiveResult result : results.getResultsList()) {
            if (result.getOutcome() != CollectiveResult.Outcome.OK) {
                return result;
            }
        }
        return null;
    }

    /**
     * The failure is a refusal that a repeat would meet again: an agent refused the request
     * (INVALID_ARGUMENT: a spec too large for the GPUs' memory, a setting off the allowlist), NCCL
     * refused an argument or a use (ncclInvalidArgument, ncclInvalidUsage), or CUDA refused an
     * allocation or a value (cudaErrorMemoryAllocation, cudaErrorInvalidValue). A hang, wrong data, a
     * crash or a network error may not happen twice; these happen every time.
     */
    public boolean deterministic() {
        CollectiveResult failure = firstFailure();
        if (failure == null || failure.getOutcome() != CollectiveResult.Outcome.ERROR) {
            return false;
        }
        return DETERMINISTIC.matcher(failure.getError()).find();
    }

    /** The bus bandwidth (bytes per second) of the first op at its largest size; empty unless it completed. */
    public OptionalDouble busbw() {
        if (results.getResultsCount() == 0 || results.getResults(0).getOutcome() != CollectiveResult.Outcome.OK) {
            return OptionalDouble.empty();
        }
        return Sweeps.largestSizeBusbw(results.getResults(0));
    }

    /** One line on what went wrong, empty when nothing did. */
    public String problem() {
        CollectiveResult failure = firstFailure();
        if (failure == null) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        parts.add(Sweeps.op(failure.getOp()) + " " + failure.getOutcome().name());
        if (!failure.getFailedCall().isEmpty()) {
            parts.add("in " + failure.getFailedCall());
        }
        if (failure.getOutcome() == CollectiveResult.Outcome.WRONG_RESULTS && failure.getWrongRanksCount() > 0) {
            parts.add("on " + Names.wrongRanks(failure.getWrongRanksList()));
        } else if (failure.getFailedRanksCount() > 0) {
            parts.add("ranks " + failure.getFailedRanksList().toString().replaceAll("[\\[\\]]", ""));
        }
        String text = String.join(" ", parts);
        return failure.getError().isEmpty() ? text : text + ": " + failure.getError();
    }
}
