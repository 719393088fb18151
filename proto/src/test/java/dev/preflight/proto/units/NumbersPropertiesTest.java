package dev.preflight.proto.units;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Every number parser, fed arbitrary text: the result is a value inside the stated range, or a
 * {@link Numbers.NumberException} whose message is one line naming what was expected. Never
 * another exception, never a value outside the range, never a hang.
 */
class NumbersPropertiesTest {
    @Provide
    Arbitrary<String> numberish() {
        Arbitrary<String> digits = Arbitraries.strings().withChars("0123456789.eE+-").ofMaxLength(40);
        Arbitrary<String> withUnits = Arbitraries.strings()
                .withChars("0123456789.eE+- kKMGTPiBbsmhpt/").ofMaxLength(30);
        Arbitrary<String> anything = Arbitraries.strings().ofMaxLength(80);
        Arbitrary<String> words = Arbitraries.of("NaN", "-NaN", "Infinity", "-Infinity", ".nan", ".inf", "1e99999",
                "99999999999999999999", "-1", "0", "9223372036854775808", "5e18", "1e-400", "", " ", "\u001b[31m1");
        Arbitrary<String> huge = Arbitraries.strings().withChars("9").ofMinLength(1000).ofMaxLength(200_000);
        return Arbitraries.oneOf(digits, withUnits, anything, words, huge);
    }

    @Property(tries = 2000)
    void countsAreInRangeOrRefusedInOneLine(@ForAll("numberish") String text) {
        try {
            long value = Numbers.count(text, "count", -5L, 1_000_000L);
            assertTrue(value >= -5 && value <= 1_000_000, text);
        } catch (Numbers.NumberException e) {
            assertOneLine(e);
        }
    }

    @Property(tries = 2000)
    void decimalsAreFiniteAndInRangeOrRefused(@ForAll("numberish") String text) {
        try {
            double value = Numbers.decimal(text, "decimal", 0, 1e15);
            assertTrue(Double.isFinite(value) && value >= 0 && value <= 1e15, text);
        } catch (Numbers.NumberException e) {
            assertOneLine(e);
        }
    }

    @Property(tries = 2000)
    void sizesAreInRangeOrRefused(@ForAll("numberish") String text) {
        try {
            long value = Numbers.size(text, "size", 1, 1L << 50);
            assertTrue(value >= 1 && value <= 1L << 50, text);
        } catch (Numbers.NumberException e) {
            assertOneLine(e);
        }
    }

    @Property(tries = 2000)
    void ratesAreFiniteAndInRangeOrRefused(@ForAll("numberish") String text) {
        try {
            double value = Numbers.rate(text, "rate", 1, 1e15);
            assertTrue(Double.isFinite(value) && value >= 1 && value <= 1e15, text);
        } catch (Numbers.NumberException e) {
            assertOneLine(e);
        }
    }

    @Property(tries = 2000)
    void durationsAreInRangeOrRefused(@ForAll("numberish") String text) {
        try {
            Duration value = Numbers.duration(text, "duration", Duration.ofMillis(1), Duration.ofDays(7));
            assertTrue(value.compareTo(Duration.ofMillis(1)) >= 0 && value.compareTo(Duration.ofDays(7)) <= 0, text);
        } catch (Numbers.NumberException e) {
            assertOneLine(e);
        }
    }

    @Property(tries = 1000)
    void typedValuesOutsideTheRangeAreRefused(@ForAll double value) {
        try {
            double accepted = Numbers.finite(value, "value", -1e6, 1e6);
            assertEquals(value, accepted);
        } catch (Numbers.NumberException e) {
            assertTrue(Double.isNaN(value) || Double.isInfinite(value) || value < -1e6 || value > 1e6, e.getMessage());
            assertOneLine(e);
        }
    }

    @Property(tries = 1000)
    void durationsRoundTripThroughTheirText(@ForAll("durations") Duration duration) {
        assertEquals(duration, Numbers.duration(Numbers.durationText(duration), "d", Duration.ofMillis(1), Duration.ofDays(7)));
    }

    @Provide
    Arbitrary<Duration> durations() {
        return Arbitraries.longs().between(1, Duration.ofDays(7).toMillis()).map(Duration::ofMillis);
    }

    @Example
    void nanAndInfinityAreNamedWithTheRange() {
        assertEquals("outliers.madZ 'NaN' is not a finite number (expected 1 to 100)",
                assertThrows(Numbers.NumberException.class, () -> Numbers.finite(Double.NaN, "outliers.madZ", 1, 100))
                        .getMessage());
        assertEquals("rate 'Infinity' is not a number (expected 0 to 1e15)",
                assertThrows(Numbers.NumberException.class, () -> Numbers.decimal("Infinity", "rate", 0, 1e15)).getMessage());
    }

    @Example
    void valuesThatWouldWrapAreOutOfRangeNotWrapped() {
        assertEquals("intraNode[0].gpus '99999999999999' is out of range (expected 1 to 1024)",
                assertThrows(Numbers.NumberException.class,
                        () -> Numbers.count("99999999999999", "intraNode[0].gpus", 1L, 1024L)).getMessage());
        assertEquals("parameter count '5e18' is out of range (expected 1 to 1e15)",
                assertThrows(Numbers.NumberException.class,
                        () -> Numbers.decimal("5e18", "parameter count", 1, 1e15)).getMessage());
        assertEquals(Long.MAX_VALUE, Numbers.count("9223372036854775807", "c", 0L, Long.MAX_VALUE));
        assertThrows(Numbers.NumberException.class, () -> Numbers.count("9223372036854775808", "c", 0L, Long.MAX_VALUE));
    }

    @Example
    void bothSidesOfEachBound() {
        assertEquals(1, Numbers.count("1", "n", 1L, 8L));
        assertEquals(8, Numbers.count("8", "n", 1L, 8L));
        assertThrows(Numbers.NumberException.class, () -> Numbers.count("0", "n", 1L, 8L));
        assertThrows(Numbers.NumberException.class, () -> Numbers.count("9", "n", 1L, 8L));
        assertEquals(Duration.ofDays(7), Numbers.duration("168h", "d", Duration.ofMillis(1), Duration.ofDays(7)));
        assertEquals("duration '169h' is out of range (expected 1ms to 168h)", assertThrows(Numbers.NumberException.class,
                () -> Numbers.duration("169h", "duration", Duration.ofMillis(1), Duration.ofDays(7))).getMessage());
        assertThrows(Numbers.NumberException.class,
                () -> Numbers.duration("0s", "duration", Duration.ofMillis(1), Duration.ofDays(7)));
    }

    @Example
    void controlCharactersInARefusedValueAreShownEscaped() {
        String message = assertThrows(Numbers.NumberException.class,
                () -> Numbers.count("\u001b[2J7\u0007", "count", 0L, 9L)).getMessage();
        assertEquals("count '\\x1b[2J7\\x07' is not a whole number (expected 0 to 9)", message);
    }

    private static void assertOneLine(Numbers.NumberException e) {
        String message = e.getMessage();
        assertFalse(message.contains("\n") || message.contains("\r"), message);
        assertTrue(message.length() < 400, message);
        assertTrue(message.contains("expected") || message.contains("is not a"), message);
        for (char c : message.toCharArray()) {
            assertFalse(c < 0x20 || c == 0x7f, message);
        }
    }
}
