package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.BenchSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CollectiveSizesTest {

    @ParameterizedTest(name = "{0} on {1} ranks: busbw = algbw x {2}")
    @CsvSource({
        "ALL_REDUCE, 1, 0", "ALL_REDUCE, 2, 1", "ALL_REDUCE, 8, 1.75", "ALL_REDUCE, 16, 1.875",
        "ALL_GATHER, 1, 0", "ALL_GATHER, 8, 0.875", "REDUCE_SCATTER, 4, 0.75", "ALLTOALL, 8, 0.875",
        "SENDRECV, 1, 1", "SENDRECV, 8, 1"})
    void busBandwidthFactorsAreNcclTests(BenchSpec.Op op, int nranks, double factor) {
        assertEquals(factor, CollectiveSizes.busBandwidthFactor(op, nranks), 1e-12);
    }

    @ParameterizedTest(name = "{0} {1} bytes on {2} ranks: size {3}, count {4}")
    @CsvSource({
        "ALL_REDUCE, 65536, 4, 65536, 16384, 65536, 65536",
        "ALL_GATHER, 65536, 4, 65536, 4096, 16384, 65536",
        "REDUCE_SCATTER, 65536, 4, 65536, 4096, 65536, 16384",
        "ALLTOALL, 65536, 4, 65536, 4096, 65536, 65536",
        "SENDRECV, 65536, 4, 65536, 16384, 65536, 65536",
        // per-rank counts round down to 16 bytes, as nccl-tests' base
        "ALL_GATHER, 100, 4, 64, 4, 16, 64",
        "ALLTOALL, 8, 4, 0, 0, 0, 0"})
    void sizesFollowNcclTestsConventions(BenchSpec.Op op, long bytes, int nranks, long size, long count, long send,
            long recv) {
        CollectiveSizes sizes = CollectiveSizes.of(op, BenchSpec.DataType.FLOAT32, bytes, nranks);
        assertEquals(new CollectiveSizes(size, count, send, recv), sizes);
    }

    @Test
    void halfPrecisionCountsTwoByteElements() {
        CollectiveSizes sizes = CollectiveSizes.of(BenchSpec.Op.ALL_REDUCE, BenchSpec.DataType.BFLOAT16, 1 << 20, 8);
        assertEquals(1 << 19, sizes.count());
    }

    @Test
    void sweepVisitsNcclTestsSizes() {
        List<Long> sizes = CollectiveSizes.sweep(8, 64L << 20, 2);
        assertEquals(24, sizes.size());
        assertEquals(8L, sizes.get(0));
        assertEquals(64L << 20, sizes.get(23));
        assertEquals(List.of(1000L, 4000L, 16000L), CollectiveSizes.sweep(1000, 20000, 4));
    }

    /** Every row of real nccl-tests output: algbw and busbw recomputed from size, time and ranks. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "allreduce-2node-16xH100-gcp-a3mega-tcpxo.txt, ALL_REDUCE, 16, 31",
        "allreduce-1node-8xA100-40GB-oldformat-superbench.txt, ALL_REDUCE, 8, 34",
        "alltoall-1node-8xA100-40GB-oldformat-superbench.txt, ALLTOALL, 8, 34",
        "sendrecv-1node-8xA100-nvlink-partial-li-plus.txt, SENDRECV, 8, 4"})
    void bandwidthFormulasReproduceRealNcclTestsRows(String file, BenchSpec.Op op, int nranks, int expectedRows)
            throws IOException {
        int rows = 0;
        double factor = CollectiveSizes.busBandwidthFactor(op, nranks);
        for (String line : read(file).split("\n")) {
            String[] t = line.strip().split("\\s+");
            if (t.length < 10 || !t[0].matches("\\d+")) {
                continue;
            }
            rows++;
            long size = Long.parseLong(t[0]);
            long count = Long.parseLong(t[1]);
            int n = t.length;
            CollectiveSizes sizes = CollectiveSizes.of(op, BenchSpec.DataType.FLOAT32, size, nranks);
            if (count % 4 == 0) {
                // rows with whole 16-byte per-rank counts: the rounding of newer nccl-tests changes nothing
                assertEquals(count, sizes.count(), line);
                assertEquals(size, sizes.sizeBytes(), line);
            }
            for (int time : new int[] {n - 8, n - 4}) {
                double seconds = Double.parseDouble(t[time]) * 1e-6;
                double algbw = new CollectiveSizes(size, count, 0, 0).algorithmBandwidth(seconds);
                double printedAlg = Double.parseDouble(t[time + 1]);
                double printedBus = Double.parseDouble(t[time + 2]);
                assertEquals(printedAlg, algbw, 0.006 + printedAlg * 1e-3, line);
                assertEquals(printedBus, algbw * factor, 0.006 + printedBus * 1e-3, line);
            }
        }
        assertEquals(expectedRows, rows);
    }

    private static String read(String file) throws IOException {
        try (InputStream in = CollectiveSizesTest.class.getResourceAsStream("/nccl-tests/" + file)) {
            assertTrue(in != null, file);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
