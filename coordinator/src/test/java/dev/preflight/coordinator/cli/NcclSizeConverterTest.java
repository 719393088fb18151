package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class NcclSizeConverterTest {
    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource({"8, 8", "64K, 65536", "64k, 65536", "128M, 134217728", "8G, 8589934592", "1T, 1099511627776",
        "1GiB, 1073741824", "512B, 512"})
    void sizesInNcclTestsUnits(String text, long bytes) {
        assertEquals(bytes, new NcclSizeConverter().convert(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-8", "8X", "1.5G", "G", "99999999999999999999", "9000000000T"})
    void anythingElseIsRefused(String text) {
        assertThrows(TypeConversionException.class, () -> new NcclSizeConverter().convert(text));
    }
}
