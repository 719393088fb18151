package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.SizeRow;
import dev.preflight.proto.v1.TransportProof;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bench's rows (GB/s) as the report's series (B/s). */
class SweepsTest {
    /**
     * The last two rows of agent/src/test/resources/nccl-tests/allreduce-2node-16xH100-gcp-a3mega-tcpxo.txt
     * (all_reduce, float, 16 ranks on 2 nodes) as the engine reports them.
     */
    private static CollectiveResult result() {
        return CollectiveResult.newBuilder()
                .setOp(BenchSpec.Op.ALL_REDUCE).setDtype(BenchSpec.DataType.FLOAT32).setNranks(16)
                .addRows(SizeRow.newBuilder().setSizeBytes(4294967296L).setCount(1073741824)
                        .setOutOfPlace(Placement.newBuilder().setTimeUs(24361).setAlgbwGbps(176.31).setBusbwGbps(330.58))
                        .setInPlace(Placement.newBuilder().setTimeUs(24365).setAlgbwGbps(176.27).setBusbwGbps(330.51)))
                .addRows(SizeRow.newBuilder().setSizeBytes(8589934592L).setCount(2147483648L)
                        .setOutOfPlace(Placement.newBuilder().setTimeUs(47535).setAlgbwGbps(180.71).setBusbwGbps(338.82))
                        .setInPlace(Placement.newBuilder().setTimeUs(47743).setAlgbwGbps(179.92).setBusbwGbps(337.35)))
                .setOutcome(CollectiveResult.Outcome.OK)
                .build();
    }

    @Test
    void outOfPlaceRowsBecomePointsInBytesPerSecond() {
        Sweep sweep = Sweeps.of(result(), Sweep.Kind.ALL_NODES, List.of("a", "b"), 3, "NVIDIA H100 80GB HBM3",
                "NET/GPUDirectTCPX", "mpirun -np 16 all_reduce_perf -b 8 -e 8G -f 2 -g 1");
        assertEquals("all_reduce", sweep.getOp());
        assertEquals("float", sweep.getDtype());
        assertEquals(-1, sweep.getRail(), "only a rail series names a rail");
        assertEquals(16, sweep.getRanks());
        assertEquals(List.of("a", "b"), sweep.getNodesList());
        assertEquals(2, sweep.getPointsCount());
        SweepPoint last = sweep.getPoints(1);
        assertEquals(8589934592L, last.getBytes());
        assertEquals(338.82e9, last.getBusbwBytesPerSecond(), 1);
        assertEquals(180.71e9, last.getAlgbwBytesPerSecond(), 1);
        assertEquals(47535, last.getTimeUs(), 1e-9);
        assertFalse(last.getInPlace());
        assertEquals(330.58e9, sweep.getPoints(0).getBusbwBytesPerSecond(), 1, "the out-of-place figure, not in-place");
        assertEquals("NET/GPUDirectTCPX", sweep.getTransport());
        assertEquals("NVIDIA H100 80GB HBM3", sweep.getGpuModel());
        assertEquals(338.82e9, Sweeps.largestSizeBusbw(result()).getAsDouble(), 1);

        Sweep rail = Sweeps.of(result(), Sweep.Kind.RAIL, List.of("a", "b"), 3, "", "", "");
        assertEquals(3, rail.getRail());
    }

    @Test
    void anUncheckedPlacementCountsNoWrongElements() {
        // the engine reports -1 where it did not validate (in-place send/recv, or validation off)
        assertEquals(0, Sweeps.point(1024, Placement.newBuilder().setWrong(-1).build()).getWrong());
        assertEquals(7, Sweeps.point(1024, Placement.newBuilder().setWrong(7).build()).getWrong());
    }

    @Test
    void opNamesAreTheMeasurementNames() {
        assertEquals("all_to_all", Sweeps.op(BenchSpec.Op.ALLTOALL));
        assertEquals("send_recv", Sweeps.op(BenchSpec.Op.SENDRECV));
        assertEquals("all_gather", Sweeps.op(BenchSpec.Op.ALL_GATHER));
    }

    @Test
    void theTransportIsTheNetworkPathBetweenNodesAndTheLocalOneInside() {
        TransportProof proof = TransportProof.newBuilder().setNetwork("IB")
                .addTransports("P2P/IPC").addTransports("NET/IB/0/GDRDMA").build();
        assertEquals("NET/IB/GDRDMA", Sweeps.transport(proof, true));
        assertEquals("P2P/IPC", Sweeps.transport(proof, false));
        assertEquals("NET/Socket", Sweeps.transport(TransportProof.newBuilder().setNetwork("Socket").build(), true));
        assertEquals("", Sweeps.transport(TransportProof.getDefaultInstance(), false));
    }
}
