package dev.preflight.proto.nccltests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.proto.v1.BenchSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NcclTestsNamesTest {
    @ParameterizedTest
    @CsvSource({
        "ALL_REDUCE, all_reduce_perf",
        "ALL_GATHER, all_gather_perf",
        "REDUCE_SCATTER, reduce_scatter_perf",
        "ALLTOALL, alltoall_perf",
        "SENDRECV, sendrecv_perf",
    })
    void eachOpIsRunByItsNcclTestsBinary(BenchSpec.Op op, String binary) {
        assertEquals(binary, NcclTestsNames.binary(op));
    }

    @ParameterizedTest
    @CsvSource({"FLOAT32, float", "FLOAT16, half", "BFLOAT16, bfloat16"})
    void dataTypesCarryNcclTestsDashDNames(BenchSpec.DataType dtype, String name) {
        assertEquals(name, NcclTestsNames.dtype(dtype));
    }
}
