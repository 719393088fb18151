package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files under src/test/resources/golden. {@code mvn verify -Dpreflight.updateGoldens=true}
 * rewrites them from the current output; review the diff before committing it.
 */
public final class Goldens {
    static final Path DIRECTORY = Path.of("src", "test", "resources", "golden");

    private Goldens() {}

    public static void assertMatches(String name, String actual) throws IOException {
        Path file = DIRECTORY.resolve(name);
        if (Boolean.getBoolean("preflight.updateGoldens")) {
            Files.createDirectories(DIRECTORY);
            Files.writeString(file, actual);
            return;
        }
        if (!Files.exists(file)) {
            throw new AssertionError(file + " is missing; run the tests with -Dpreflight.updateGoldens=true to create it");
        }
        assertEquals(Files.readString(file), actual, name + " differs from its golden file (regenerate with "
                + "-Dpreflight.updateGoldens=true if the change is intended)");
    }
}
