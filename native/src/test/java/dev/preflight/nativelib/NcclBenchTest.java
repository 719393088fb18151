package dev.preflight.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JNI library driving the strict fake CUDA runtime and NCCL, in this JVM (run with -Xcheck:jni). */
class NcclBenchTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static RunSpec spec(Collective op, DataType dtype, long count, int nranks, int rank) {
        int sendPeer = op == Collective.SENDRECV ? (rank + 1) % nranks : -1;
        int recvPeer = op == Collective.SENDRECV ? (rank - 1 + nranks) % nranks : -1;
        long per = count * dtype.bytes();
        long all = per * nranks;
        long send = op == Collective.REDUCE_SCATTER || op == Collective.ALLTOALL ? all : per;
        long recv = op == Collective.ALL_GATHER || op == Collective.ALLTOALL ? all : per;
        return new RunSpec(op, dtype, count, send, recv, 5, 1, 0, false, sendPeer, recvPeer, true, 1L << 30, 7, TIMEOUT);
    }

    @Test
    void everyOpAndDtypeIsValidatedWithoutAWrongElement() throws Exception {
        try (NcclBench bench = NcclBench.open(FakeLibraries.cudart(), FakeLibraries.nccl())) {
            for (Collective op : Collective.values()) {
                for (DataType dtype : DataType.values()) {
                    NcclCommunicator comm = bench.connect(0, bench.uniqueId(), 1, 0, TIMEOUT);
                    try {
                        Measurement m = comm.run(spec(op, dtype, 1024, 1, 0));
                        assertEquals(0, m.outOfPlace().wrong(), op + " " + dtype);
                        boolean inPlaceChecked = op != Collective.ALLTOALL && op != Collective.SENDRECV;
                        assertEquals(inPlaceChecked ? 0 : -1, m.inPlace().wrong(), op + " " + dtype);
                        assertTrue(m.outOfPlace().seconds() > 0 && m.inPlace().seconds() > 0, op + " " + dtype);
                    } finally {
                        comm.close(TIMEOUT);
                    }
                }
            }
        }
    }

    @Test
    void reportsTheLoadedLibrariesAndTheDevice() throws Exception {
        try (NcclBench bench = NcclBench.open(FakeLibraries.cudart(), FakeLibraries.nccl())) {
            assertEquals(12040, bench.cudaRuntimeVersion());
            assertEquals("2.27.3", bench.ncclVersionString());
            assertEquals(FakeLibraries.nccl().toString(), bench.ncclLibrary());
            DeviceInfo device = bench.device(0);
            assertEquals(1, device.deviceCount());
            assertEquals("0000:19:00.0", device.pciBusId());
            assertTrue(device.freeBytes() > 0 && device.freeBytes() <= device.totalBytes());
            BenchException missing = assertThrows(BenchException.class, () -> bench.device(3));
            assertEquals(BenchException.Kind.INVALID_ARGUMENT, missing.kind());
            assertTrue(missing.getMessage().contains("GPU 3 does not exist"), missing.getMessage());
        }
    }

    @Test
    void perIterationTimingGivesPercentilesAndGraphsReplayTheLoop() throws Exception {
        try (NcclBench bench = NcclBench.open(FakeLibraries.cudart(), FakeLibraries.nccl())) {
            NcclCommunicator comm = bench.connect(0, bench.uniqueId(), 1, 0, TIMEOUT);
            try {
                RunSpec base = spec(Collective.ALL_REDUCE, DataType.FLOAT32, 256, 1, 0);
                Measurement events = comm.run(new RunSpec(base.op(), base.dtype(), base.count(), base.sendCapacity(),
                        base.recvCapacity(), 20, 1, 0, true, -1, -1, true, 1L << 30, 3, TIMEOUT));
                assertTrue(events.outOfPlace().p50Seconds() > 0, events.toString());
                assertTrue(events.outOfPlace().p99Seconds() >= events.outOfPlace().p50Seconds(), events.toString());
                for (MeasuredPlacement placement : List.of(events.outOfPlace(), events.inPlace())) {
                    double[] times = placement.iterationSeconds();
                    assertEquals(20, times.length);
                    double[] sorted = times.clone();
                    Arrays.sort(sorted);
                    assertTrue(sorted[0] > 0, Arrays.toString(times));
                    // the percentiles are read from these very times (nearest rank)
                    assertEquals(sorted[9], placement.p50Seconds(), 1e-12);
                    assertEquals(sorted[19], placement.p99Seconds(), 1e-12);
                }
                Measurement graph = comm.run(new RunSpec(base.op(), base.dtype(), base.count(), base.sendCapacity(),
                        base.recvCapacity(), 4, 1, 3, false, -1, -1, true, 1L << 30, 3, TIMEOUT));
                assertEquals(0, graph.outOfPlace().wrong());
                assertEquals(0, graph.outOfPlace().p50Seconds());
                assertEquals(0, graph.outOfPlace().iterationSeconds().length);
            } finally {
                comm.close(TIMEOUT);
            }
        }
    }

    @Test
    void validationAboveTheBoundComparesSampledStripes() throws Exception {
        try (NcclBench bench = NcclBench.open(FakeLibraries.cudart(), FakeLibraries.nccl())) {
            NcclCommunicator comm = bench.connect(0, bench.uniqueId(), 1, 0, TIMEOUT);
            try {
                RunSpec base = spec(Collective.ALL_GATHER, DataType.BFLOAT16, 1 << 16, 1, 0);
                Measurement m = comm.run(new RunSpec(base.op(), base.dtype(), base.count(), base.sendCapacity(),
                        base.recvCapacity(), 2, 0, 0, false, -1, -1, true, 4096, 1, TIMEOUT));
                assertTrue(m.sampled());
                assertEquals(0, m.outOfPlace().wrong());
            } finally {
                comm.close(TIMEOUT);
            }
        }
    }

    @Test
    void aRunSpecIsCheckedBeforeAnyNativeCall() {
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> new RunSpec(
                Collective.ALL_REDUCE, DataType.FLOAT32, 16, 64, 64, 5, 1, 2, true, -1, -1, true, 0, 1, TIMEOUT));
        assertTrue(both.getMessage().startsWith("perIteration true: cannot be combined with CUDA graphs"),
                both.getMessage());
        IllegalArgumentException peer = assertThrows(IllegalArgumentException.class, () -> new RunSpec(
                Collective.ALL_REDUCE, DataType.FLOAT32, 16, 64, 64, 5, 1, 0, false, 1, -1, true, 0, 1, TIMEOUT));
        assertTrue(peer.getMessage().startsWith("sendPeer 1: applies to SENDRECV only"), peer.getMessage());
        IllegalArgumentException iters = assertThrows(IllegalArgumentException.class, () -> new RunSpec(
                Collective.ALL_REDUCE, DataType.FLOAT32, 16, 64, 64, 0, 1, 0, false, -1, -1, true, 0, 1, TIMEOUT));
        assertEquals("iters 0: must be >= 1", iters.getMessage());
        IllegalArgumentException perIteration = assertThrows(IllegalArgumentException.class, () -> new RunSpec(
                Collective.ALL_REDUCE, DataType.FLOAT32, 16, 64, 64, 100_001, 1, 0, true, -1, -1, true, 0, 1, TIMEOUT));
        assertEquals("iters 100001: must be <= 100000 with per-iteration timing", perIteration.getMessage());
        new RunSpec(Collective.ALL_REDUCE, DataType.FLOAT32, 16, 64, 64, 100_000, 1, 0, true, -1, -1, true, 0, 1, TIMEOUT);
    }

    @Test
    void aMissingLibraryIsNamed() {
        Path nowhere = Paths.get("/nonexistent/libcudart.so.12");
        BenchException cudart = assertThrows(BenchException.class, () -> NcclBench.open(nowhere, FakeLibraries.nccl()));
        assertEquals("dlopen", cudart.call());
        assertTrue(cudart.getMessage().contains("/nonexistent/libcudart.so.12"), cudart.getMessage());

        BenchException nccl = assertThrows(BenchException.class,
                () -> NcclBench.open(FakeLibraries.cudart(), Paths.get("/nonexistent/libnccl.so.2")));
        assertTrue(nccl.getMessage().startsWith("cannot load NCCL (/nonexistent/libnccl.so.2)"), nccl.getMessage());

        BenchException symbol = assertThrows(BenchException.class,
                () -> NcclBench.open(FakeLibraries.cudart(), FakeLibraries.cudart()));
        assertEquals(FakeLibraries.cudart() + " has no symbol ncclGetVersion (required by preflight)", symbol.getMessage());
    }

    @Test
    void aRuntimeTheDriverRefusesIsReportedWithBothVersions() throws Exception {
        ProcessBuilder driver = new ProcessBuilder(FakeLibraries.file("bench_driver").toString(),
                "--cudart", FakeLibraries.cudart().toString(), "--nccl", FakeLibraries.nccl().toString())
                .redirectErrorStream(true);
        driver.environment().put("FAKE_CUDA_DRIVER_VERSION", "11080");
        Process process = driver.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, process.exitValue(), output);
        assertTrue(output.contains("CUDA runtime 12040 needs a newer driver than 11080 "
                + "(CUDA driver version is insufficient for CUDA runtime version, error 35)"), output);
    }

    @Test
    void aRankInThisJvmAndARankInTheCDriverFormOneCommunicator(@TempDir Path dir) throws Exception {
        Path idFile = dir.resolve("unique-id");
        try (NcclBench bench = NcclBench.open(FakeLibraries.cudart(), FakeLibraries.nccl())) {
            byte[] id = bench.uniqueId();
            Path staging = dir.resolve("unique-id.tmp");
            Files.write(staging, id);
            Files.move(staging, idFile);
            ProcessBuilder builder = new ProcessBuilder(FakeLibraries.file("bench_driver").toString(),
                    "--cudart", FakeLibraries.cudart().toString(), "--nccl", FakeLibraries.nccl().toString(),
                    "--nranks", "2", "--rank", "1", "--device", "1", "--id-file", idFile.toString(),
                    "--op", "all_reduce", "--dtype", "float16", "--bytes", "8192", "--iters", "5", "--warmup", "1")
                    .redirectErrorStream(true);
            builder.environment().put("FAKE_CUDA_DEVICE_COUNT", "2");
            Process peer = builder.start();
            try {
                NcclCommunicator comm = bench.connect(0, id, 2, 0, TIMEOUT);
                try {
                    Measurement m = comm.run(spec(Collective.ALL_REDUCE, DataType.FLOAT16, 4096, 2, 0));
                    assertEquals(0, m.outOfPlace().wrong());
                    assertEquals(0, m.inPlace().wrong());
                } finally {
                    comm.close(TIMEOUT);
                }
                String output = new String(peer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(peer.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, peer.exitValue(), output);
                assertTrue(output.contains("nranks=2") && output.contains("oop_wrong=0 ") && output.contains("ip_wrong=0 "),
                        output);
            } finally {
                peer.destroyForcibly();
            }
        }
    }
}
