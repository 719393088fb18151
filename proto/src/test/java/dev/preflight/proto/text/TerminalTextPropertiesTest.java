package dev.preflight.proto.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever a host file or a report holds, what reaches the terminal has no control characters. */
class TerminalTextPropertiesTest {
    @Property(tries = 3000)
    void escapedTextHasNoControlCharacters(@ForAll String text) {
        String escaped = TerminalText.escape(text);
        for (char c : escaped.toCharArray()) {
            assertFalse(controlling(c), () -> "U+" + Integer.toHexString(c) + " survived in " + escaped);
        }
    }

    @Property(tries = 3000)
    void printableTextIsUnchanged(@ForAll("printable") String text) {
        assertEquals(text, TerminalText.escape(text));
    }

    @Provide
    Arbitrary<String> printable() {
        return Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(200);
    }

    @Property(tries = 1000)
    void excerptsAreBounded(@ForAll String text) {
        String excerpt = TerminalText.excerpt(text);
        assertTrue(excerpt.length() <= TerminalText.MAX_QUOTED * 6 + 30, excerpt);
        assertFalse(excerpt.contains("\n"));
    }

    @Example
    void escapeSequencesBellsAndNulsAreShown() {
        assertEquals("mlx5_0\\x1b]0;owned\\x07\\x00 \\r\\n", TerminalText.escape("mlx5_0\u001b]0;owned\u0007\u0000 \r\n"));
        assertEquals("a\nb\\x1b", TerminalText.escapeLines("a\nb\u001b"));
        assertEquals("\\u202eevil", TerminalText.escape("\u202eevil"));
    }

    private static boolean controlling(char c) {
        return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e)
                || (c >= 0x2066 && c <= 0x2069);
    }
}
