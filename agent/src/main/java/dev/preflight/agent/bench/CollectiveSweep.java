package dev.preflight.agent.bench;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.PeerPair;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.RankIterations;
import dev.preflight.proto.v1.SizeProgress;
import dev.preflight.proto.v1.SizeRow;
import dev.preflight.proto.v1.WorkerPlacement;
import dev.preflight.proto.v1.WorkerRunSize;
import dev.preflight.proto.v1.WorkerSizeResult;
import dev.preflight.proto.v1.WrongRank;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Runs a spec over an open communicator: every op and dtype, every size, a row per size as
 * nccl-tests prints it. A failure ends the sweep: the failing (op, dtype) keeps the rows it
 * finished, the rest are NOT_RUN.
 */
final class CollectiveSweep {
    /** Validation bound when the spec leaves it at 0, per rank. */
    static final long DEFAULT_VALIDATE_MAX_BYTES = 1L << 30;

    private CollectiveSweep() {}

    /** One (op, dtype) of the spec, with the sizes it visits. */
    record Plan(BenchSpec.Op op, BenchSpec.DataType dtype, List<CollectiveSizes> sizes) {
        long sendCapacity() {
            return sizes.stream().mapToLong(CollectiveSizes::sendBytes).max().orElse(0);
        }

        long recvCapacity() {
            return sizes.stream().mapToLong(CollectiveSizes::recvBytes).max().orElse(0);
        }
    }

    static List<Plan> plan(BenchSpec spec, int nranks) {
        List<Long> sizes = CollectiveSizes.sweep(spec.getMinBytes(), spec.getMaxBytes(), spec.getStepFactor());
        List<Plan> plans = new ArrayList<>();
        for (BenchSpec.Op op : spec.getOpsList()) {
            for (BenchSpec.DataType dtype : spec.getDtypesList()) {
                List<CollectiveSizes> visited = new ArrayList<>();
                for (long bytes : sizes) {
                    visited.add(CollectiveSizes.of(op, dtype, bytes, nranks));
                }
                plans.add(new Plan(op, dtype, visited));
            }
        }
        return plans;
    }

    /** The engine's timeout message: "ncclAllReduce did not complete within 0.7 s; communicator aborted". */
    private static final Pattern CALL_TIME = Pattern.compile("(did not complete within [0-9.]+ s)");

    static List<CollectiveResult> run(BenchSession session, BenchSpec spec, int nranks, Instant deadline,
            Map<String, String> ncclSettings, Consumer<SizeProgress> progress) {
        List<Plan> plans = plan(spec, nranks);
        int total = plans.stream().mapToInt(p -> p.sizes().size()).sum();
        int done = 0;
        List<CollectiveResult> results = new ArrayList<>();
        BenchSession.RunFailure failure = null;
        for (Plan plan : plans) {
            CollectiveResult.Builder result = CollectiveResult.newBuilder()
                    .setOp(plan.op())
                    .setDtype(plan.dtype())
                    .setNranks(nranks)
                    .setNcclTestsCommand(NcclTestsCommand.of(plan.op(), plan.dtype(), spec, nranks, ncclSettings));
            if (failure != null) {
                results.add(result.setOutcome(CollectiveResult.Outcome.NOT_RUN)
                        .setError("not run: the communicator failed in " + failure.call)
                        .build());
                continue;
            }
            long[] ownWrong = new long[session.localRanks()];
            for (int i = 0; i < plan.sizes().size(); i++) {
                CollectiveSizes sizes = plan.sizes().get(i);
                try {
                    List<WorkerSizeResult> measured = session.runSize(
                            requests(session, spec, plan, sizes, i, nranks, deadline), deadline, call(plan.op()));
                    SizeRow row = row(plan.op(), nranks, sizes, measured.get(0));
                    result.addRows(withIterations(row, session.rankOffset(), measured));
                    addOwnWrong(ownWrong, measured);
                    done++;
                    // progress shows the line as it is printed; the iterations come once, with the results
                    progress.accept(SizeProgress.newBuilder()
                            .setOp(plan.op())
                            .setDtype(plan.dtype())
                            .setRow(row)
                            .setDone(done)
                            .setTotal(total)
                            .build());
                } catch (BenchSession.RunFailure e) {
                    failure = e;
                    // a worker's time for a call is what was left of the sweep's deadline when the call
                    // started ("within 0.7 s"): say so, or it reads as a deadline of its own
                    String error = e.outcome == CollectiveResult.Outcome.TIMEOUT
                            ? CALL_TIME.matcher(e.getMessage()).replaceFirst("$1 (what was left of the sweep's "
                                    + spec.getTimeout().getSeconds() + " s deadline at " + sizes.sizeBytes() + " bytes)")
                            : e.getMessage();
                    result.setOutcome(e.outcome).setFailedCall(e.call).setError(error).addAllFailedRanks(e.ranks);
                    break;
                }
            }
            result.addAllWrongRanks(wrongRanks(ownWrong, session.rankOffset(), session.gpus()));
            results.add(summarize(result));
        }
        return results;
    }

    /** The result of an (op, dtype) that failed before it started, e.g. in communicator initialisation. */
    static List<CollectiveResult> failedBeforeStart(BenchSpec spec, int nranks, Map<String, String> ncclSettings,
            BenchSession.RunFailure failure) {
        List<CollectiveResult> results = new ArrayList<>();
        for (Plan plan : plan(spec, nranks)) {
            CollectiveResult.Builder result = CollectiveResult.newBuilder()
                    .setOp(plan.op())
                    .setDtype(plan.dtype())
                    .setNranks(nranks)
                    .setNcclTestsCommand(NcclTestsCommand.of(plan.op(), plan.dtype(), spec, nranks, ncclSettings));
            if (results.isEmpty()) {
                result.setOutcome(failure.outcome).setFailedCall(failure.call).setError(failure.getMessage())
                        .addAllFailedRanks(failure.ranks);
            } else {
                result.setOutcome(CollectiveResult.Outcome.NOT_RUN)
                        .setError("not run: the communicator failed in " + failure.call);
            }
            results.add(result.build());
        }
        return results;
    }

    private static List<WorkerRunSize> requests(BenchSession session, BenchSpec spec, Plan plan, CollectiveSizes sizes,
            int index, int nranks, Instant deadline) {
        long timeout = Math.max(1, deadline.toEpochMilli() - System.currentTimeMillis());
        // the same on every rank of every agent, so every rank checks against the same inputs
        int seed = plan.op().getNumber() * 1_000_003 + plan.dtype().getNumber() * 10_007 + index * 131 + 7;
        List<WorkerRunSize> requests = new ArrayList<>();
        for (int local = 0; local < session.localRanks(); local++) {
            int rank = session.rankOffset() + local;
            int[] peers = peers(plan.op(), spec.getPeerPairsList(), rank, nranks);
            requests.add(WorkerRunSize.newBuilder()
                    .setOp(plan.op())
                    .setDtype(plan.dtype())
                    .setCount(sizes.count())
                    .setSendCapacity(plan.sendCapacity())
                    .setRecvCapacity(plan.recvCapacity())
                    .setIters(spec.getIters())
                    .setWarmupIters(spec.getWarmupIters())
                    .setGraphLaunches(spec.getGraphLaunches())
                    .setPerIteration(spec.getPerIteration())
                    .setSendPeer(peers[0])
                    .setRecvPeer(peers[1])
                    .setValidate(!spec.getNoValidation())
                    .setValidateMaxBytes(validateMaxBytes(spec))
                    .setSeed(seed)
                    .setTimeoutMs(timeout)
                    .build());
        }
        return requests;
    }

    static long validateMaxBytes(BenchSpec spec) {
        return spec.getValidateMaxBytes() == 0 ? DEFAULT_VALIDATE_MAX_BYTES : spec.getValidateMaxBytes();
    }

    /** {send peer, receive peer} of a rank: nccl-tests' ring, or the explicit pairs. -1 for none. */
    static int[] peers(BenchSpec.Op op, List<PeerPair> pairs, int rank, int nranks) {
        if (op != BenchSpec.Op.SENDRECV) {
            return new int[] {-1, -1};
        }
        if (pairs.isEmpty()) {
            return new int[] {(rank + 1) % nranks, (rank - 1 + nranks) % nranks};
        }
        int send = -1;
        int recv = -1;
        for (PeerPair pair : pairs) {
            if (pair.getSender() == rank) {
                send = pair.getReceiver();
            }
            if (pair.getReceiver() == rank) {
                recv = pair.getSender();
            }
        }
        return new int[] {send, recv};
    }

    static String call(BenchSpec.Op op) {
        switch (op) {
            case ALL_REDUCE:
                return "ncclAllReduce";
            case ALL_GATHER:
                return "ncclAllGather";
            case REDUCE_SCATTER:
                return "ncclReduceScatter";
            case ALLTOALL:
                return "ncclAlltoAll";
            default:
                return "ncclSend/ncclRecv";
        }
    }

    static SizeRow row(BenchSpec.Op op, int nranks, CollectiveSizes sizes, WorkerSizeResult measured) {
        double factor = CollectiveSizes.busBandwidthFactor(op, nranks);
        return SizeRow.newBuilder()
                .setSizeBytes(sizes.sizeBytes())
                .setCount(sizes.count())
                .setOutOfPlace(placement(sizes, factor, measured.getOutOfPlace()))
                .setInPlace(placement(sizes, factor, measured.getInPlace()))
                .setSampled(measured.getSampled())
                .build();
    }

    /**
     * The row with every local rank's per-iteration times (workers in local order, so worker i is
     * global rank rankOffset + i); unchanged when the workers timed no iterations.
     */
    static SizeRow withIterations(SizeRow row, int rankOffset, List<WorkerSizeResult> measured) {
        SizeRow.Builder builder = row.toBuilder();
        for (int local = 0; local < measured.size(); local++) {
            WorkerSizeResult worker = measured.get(local);
            if (worker.getOutOfPlace().getIterationSecondsCount() > 0) {
                builder.getOutOfPlaceBuilder().addRankIterations(iterations(rankOffset + local, worker.getOutOfPlace()));
            }
            if (worker.getInPlace().getIterationSecondsCount() > 0) {
                builder.getInPlaceBuilder().addRankIterations(iterations(rankOffset + local, worker.getInPlace()));
            }
        }
        return builder.build();
    }

    /** Adds each local rank's wrong elements of one size (both placements; -1, not checked, counts none). */
    private static void addOwnWrong(long[] ownWrong, List<WorkerSizeResult> measured) {
        for (int local = 0; local < measured.size(); local++) {
            WorkerSizeResult worker = measured.get(local);
            ownWrong[local] += Math.max(0, worker.getOutOfPlace().getOwnWrong())
                    + Math.max(0, worker.getInPlace().getOwnWrong());
        }
    }

    /** The local ranks that saw wrong elements, as global ranks with their GPU. */
    private static List<WrongRank> wrongRanks(long[] ownWrong, int rankOffset, List<Integer> gpus) {
        List<WrongRank> wrong = new ArrayList<>();
        for (int local = 0; local < ownWrong.length; local++) {
            if (ownWrong[local] > 0) {
                wrong.add(WrongRank.newBuilder().setRank(rankOffset + local).setGpu(gpus.get(local))
                        .setWrong(ownWrong[local]).build());
            }
        }
        return wrong;
    }

    private static RankIterations iterations(int rank, WorkerPlacement placement) {
        RankIterations.Builder iterations = RankIterations.newBuilder().setRank(rank);
        for (double seconds : placement.getIterationSecondsList()) {
            iterations.addIterationUs(seconds * 1e6);
        }
        return iterations.build();
    }

    private static Placement placement(CollectiveSizes sizes, double factor, WorkerPlacement measured) {
        double algbw = sizes.algorithmBandwidth(measured.getSeconds());
        return Placement.newBuilder()
                .setTimeUs(measured.getSeconds() * 1e6)
                .setAlgbwGbps(algbw)
                .setBusbwGbps(algbw * factor)
                .setWrong(measured.getWrong())
                .setP50Us(measured.getP50Seconds() * 1e6)
                .setP99Us(measured.getP99Seconds() * 1e6)
                .build();
    }

    /**
     * Outcome (when no failure set one; wrong data fails the ranks that received it), wrong total,
     * nccl-tests' average and the peak bus bandwidth.
     */
    static CollectiveResult summarize(CollectiveResult.Builder result) {
        long wrong = 0;
        double sum = 0;
        double peak = 0;
        int lines = 0;
        for (SizeRow row : result.getRowsList()) {
            for (Placement p : List.of(row.getOutOfPlace(), row.getInPlace())) {
                wrong += Math.max(0, p.getWrong());
                sum += p.getBusbwGbps();
                peak = Math.max(peak, p.getBusbwGbps());
                lines++;
            }
        }
        result.setWrongTotal(wrong)
                .setAvgBusbwGbps(lines == 0 ? 0 : sum / lines)
                .setPeakBusbwGbps(peak);
        if (result.getOutcome() == CollectiveResult.Outcome.OUTCOME_UNSPECIFIED) {
            result.setOutcome(wrong > 0 ? CollectiveResult.Outcome.WRONG_RESULTS : CollectiveResult.Outcome.OK);
            if (wrong > 0) {
                result.setError(String.format(Locale.ROOT, "%d element(s) differed from the expected result", wrong));
                result.addAllFailedRanks(result.getWrongRanksList().stream().map(WrongRank::getRank).toList());
            }
        }
        return result.build();
    }
}
