package dev.preflight.proto.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UnitsTest {
    @ParameterizedTest
    @CsvSource({
        "25GB/s, 25e9",
        "200Gb/s, 25e9",
        "400Gb/s, 50e9",
        "125MB/s, 125e6",
        "1Gb/s, 125e6",
        "3.1 GB/s, 3.1e9",
        "1GiB/s, 1073741824",
        "100Gbit/s, 12.5e9",
        "100Gbps, 12.5e9",
        "8kB/s, 8000",
    })
    void bandwidthsTakeBytesAndBitsWithDecimalAndBinaryPrefixes(String text, double expected) {
        assertEquals(expected, Bandwidths.parse(text), expected * 1e-12);
    }

    @ParameterizedTest
    @ValueSource(strings = {"25", "25GB", "GB/s", "25 gb/s", "25kiB/s", "-1GB/s", "", "25GB/s/s"})
    void bandwidthsWithoutAUnitAreRefusedNamingTheValue(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Bandwidths.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
        assertTrue(e.getMessage().contains("GB = 10^9 bytes"), e.getMessage());
    }

    @Test
    void bandwidthsFormatInDecimalGigabytesAndPortRatesInBits() {
        assertEquals("50.0 GB/s", Bandwidths.format(50e9));
        assertEquals("125.0 MB/s", Bandwidths.format(125e6));
        assertEquals("400 Gb/s", Bandwidths.formatBits(50e9));
        assertEquals("12.5 Gb/s", Bandwidths.formatBits(1.5625e9));
    }

    @ParameterizedTest
    @CsvSource({
        "80GB, 80000000000",
        "80G, 80000000000",
        "80GiB, 85899345920",
        "80Gi, 85899345920",
        "256MiB, 268435456",
        "64k, 64000",
        "64KiB, 65536",
        "1.5GiB, 1610612736",
        "512B, 512",
        "1.3TB, 1300000000000",
    })
    void byteSizesTakeDecimalAndBinaryPrefixes(String text, long expected) {
        assertEquals(expected, ByteSizes.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"80", "80Gb", "80 GB/s", "Gi", "80XB", "99999999999PB"})
    void byteSizesWithoutAUnitAreRefused(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ByteSizes.parse(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void decimalFormattingMatchesHowWeightsAreQuoted() {
        assertEquals("140.0 GB", ByteSizes.formatDecimal(140_000_000_000L));
        assertEquals("1.3 TB", ByteSizes.formatDecimal(1_342_000_000_000L));
    }
}
