package dev.preflight.coordinator.collective;

import dev.preflight.agent.bench.NcclTestsCommand;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.SizeRow;
import dev.preflight.proto.v1.TransportProof;
import dev.preflight.proto.v1.WrongRanks;
import java.util.List;
import java.util.OptionalDouble;

/**
 * The bench's results (nccl-tests' rows, GB/s) as the report's measurements (bytes per second),
 * which the scoring policy and the charts read. A series carries the out-of-place rows, the
 * statistic nccl-tests users quote; the in-place rows stay in the report's raw collectives.
 */
public final class Sweeps {
    private static final double BYTES_PER_GB = 1e9;

    private Sweeps() {}

    /** The measurement names of the ops: all_reduce, all_gather, reduce_scatter, all_to_all, send_recv. */
    public static String op(BenchSpec.Op op) {
        switch (op) {
            case ALL_REDUCE:
                return "all_reduce";
            case ALL_GATHER:
                return "all_gather";
            case REDUCE_SCATTER:
                return "reduce_scatter";
            case ALLTOALL:
                return "all_to_all";
            case SENDRECV:
                return "send_recv";
            default:
                throw new IllegalArgumentException("no measurement name for op " + op);
        }
    }

    public static Sweep of(CollectiveResult result, Sweep.Kind kind, List<String> nodes, int rail, String gpuModel,
            String transport, String commandLine) {
        Sweep.Builder sweep = Sweep.newBuilder()
                .setOp(op(result.getOp()))
                .setDtype(NcclTestsCommand.dtype(result.getDtype()))
                .setKind(kind)
                .addAllNodes(nodes)
                .setRail(kind == Sweep.Kind.RAIL ? rail : -1)
                .setRanks(result.getNranks())
                .setGpuModel(gpuModel)
                .setTransport(transport)
                .setCommandLine(commandLine);
        for (SizeRow row : result.getRowsList()) {
            sweep.addPoints(point(row.getSizeBytes(), row.getOutOfPlace()));
        }
        if (result.getWrongRanksCount() > 0) {
            sweep.setWrongRanks(WrongRanks.newBuilder().addAllRanks(result.getWrongRanksList()));
        }
        return sweep.build();
    }

    static SweepPoint point(long bytes, Placement placement) {
        return SweepPoint.newBuilder()
                .setBytes(bytes)
                .setTimeUs(placement.getTimeUs())
                .setAlgbwBytesPerSecond(placement.getAlgbwGbps() * BYTES_PER_GB)
                .setBusbwBytesPerSecond(placement.getBusbwGbps() * BYTES_PER_GB)
                // -1 is "not checked"; a measurement counts only wrong elements it saw
                .setWrong(Math.max(0, placement.getWrong()))
                .setInPlace(false)
                .build();
    }

    /**
     * The headline number of a result the phases compare: the out-of-place bus bandwidth (bytes per
     * second) of its largest size. Empty when no size completed.
     */
    public static OptionalDouble largestSizeBusbw(CollectiveResult result) {
        if (result.getRowsCount() == 0) {
            return OptionalDouble.empty();
        }
        SizeRow largest = result.getRows(result.getRowsCount() - 1);
        return OptionalDouble.of(largest.getOutOfPlace().getBusbwGbps() * BYTES_PER_GB);
    }

    /**
     * The transport NCCL's log names for a series: between nodes the network path
     * ("NET/IB/GDRDMA", "NET/Socket"), inside one the first intra-node one ("P2P/IPC"); empty when
     * the log names none.
     */
    public static String transport(TransportProof proof, boolean acrossNodes) {
        for (String transport : proof.getTransportsList()) {
            if (transport.startsWith("NET/") == acrossNodes) {
                // "NET/IB/0/GDRDMA": the channel's NIC index says nothing about the path
                return transport.replaceAll("/\\d+(?=/|$)", "");
            }
        }
        if (acrossNodes && !proof.getNetwork().isEmpty()) {
            return "NET/" + proof.getNetwork();
        }
        return "";
    }
}
