package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.BenchSpec;
import org.junit.jupiter.api.Test;

/** What a sweep asks of a GPU, and a spec cut to what the GPU holds. */
class BenchMemoryTest {
    private static BenchSpec spec(BenchSpec.Op op, long maxBytes) {
        return BenchSpec.newBuilder().addOps(op).addDtypes(BenchSpec.DataType.BFLOAT16).setMinBytes(8)
                .setMaxBytes(maxBytes).setStepFactor(2).build();
    }

    @Test
    void buffersFollowEachOpsSendAndReceiveSizes() {
        assertEquals(2 * ByteSizes.GIB, BenchMemory.buffers(spec(BenchSpec.Op.ALL_REDUCE, ByteSizes.GIB), 8));
        // all_gather sends a rank's share and receives the whole
        assertEquals(ByteSizes.GIB + ByteSizes.GIB / 8, BenchMemory.buffers(spec(BenchSpec.Op.ALL_GATHER, ByteSizes.GIB), 8));
        assertEquals(2 * ByteSizes.GIB, BenchMemory.buffers(spec(BenchSpec.Op.ALLTOALL, ByteSizes.GIB), 8));
    }

    @Test
    void theFullProfilesEightGibOnASixteenGibGpuIsCutToFour() {
        BenchMemory.Clamped clamped = BenchMemory.clamp(spec(BenchSpec.Op.ALL_REDUCE, 8 * ByteSizes.GIB), 8,
                16 * ByteSizes.GIB).orElseThrow();
        assertEquals(4 * ByteSizes.GIB, clamped.spec().getMaxBytes());
        assertEquals("sizes capped at 4 GiB instead of 8 GiB: 16 GiB of buffers plus 1 GiB for NCCL would not fit the "
                + "16 GiB free on the smallest GPU", clamped.note());
    }

    @Test
    void aSpecThatFitsIsLeftAsItIs() {
        assertTrue(BenchMemory.clamp(spec(BenchSpec.Op.ALL_REDUCE, 8 * ByteSizes.GIB), 8, 17 * ByteSizes.GIB).isEmpty());
    }

    @Test
    void whenNotEvenTheSmallestSizeFitsTheAgentsRefusalSpeaks() {
        assertTrue(BenchMemory.clamp(spec(BenchSpec.Op.ALL_REDUCE, ByteSizes.GIB), 8, ByteSizes.GIB / 2).isEmpty());
    }
}
