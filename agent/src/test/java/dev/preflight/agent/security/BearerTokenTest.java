package dev.preflight.agent.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokenTest {
    @TempDir
    Path dir;

    @Test
    void aSecretFileWithATrailingNewlineIsTheToken() throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "s3cr3t-s3cr3t-s3cr3t\n");
        BearerToken token = BearerToken.readFile(file);
        assertTrue(token.matchesHeader("Bearer s3cr3t-s3cr3t-s3cr3t"));
        assertTrue(token.matchesHeader("bearer s3cr3t-s3cr3t-s3cr3t"));
        assertEquals("BearerToken(redacted)", token.toString());
    }

    @Test
    void shortMultiWordOrHugeTokensAreRefusedNamingTheFile() throws Exception {
        Path shortOne = Files.writeString(dir.resolve("short"), "abc\n");
        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class, () -> BearerToken.readFile(shortOne));
        assertTrue(tooShort.getMessage().startsWith(shortOne + ": the token has 3 characters, at least 16"), tooShort.getMessage());
        Path spaced = Files.writeString(dir.resolve("spaced"), "0123456789 abcdefgh");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> BearerToken.readFile(spaced)).getMessage()
                .contains("one line of printable ASCII"));
        Path huge = Files.write(dir.resolve("huge"), new byte[BearerToken.MAX_LENGTH + 10]);
        assertEquals(huge + ": is larger than the 4097-byte limit",
                assertThrows(IOException.class, () -> BearerToken.readFile(huge)).getMessage());
    }
}
