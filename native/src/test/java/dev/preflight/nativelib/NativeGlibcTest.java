package dev.preflight.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The library must load on glibc 2.17 and later: no symbol may require a newer GLIBC_ version. */
class NativeGlibcTest {
    private static final Pattern GLIBC_VERSION = Pattern.compile("GLIBC_(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

    @Test
    void noSymbolNeedsAGlibcNewerThan217() throws Exception {
        Path library = Paths.get(NativeLibrary.class.getResource(NativeLibrary.platform() + "/libpreflight.so").toURI());
        assumeTrue(onPath("objdump"), "objdump (binutils) is not installed");
        Process objdump = new ProcessBuilder("objdump", "-T", library.toString()).redirectErrorStream(true).start();
        String table = new String(objdump.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(objdump.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, objdump.exitValue(), table);
        List<String> tooNew = new ArrayList<>();
        for (String line : table.split("\n")) {
            Matcher matcher = GLIBC_VERSION.matcher(line);
            if (matcher.find()) {
                int major = Integer.parseInt(matcher.group(1));
                int minor = Integer.parseInt(matcher.group(2));
                if (major > 2 || (major == 2 && minor > 17)) {
                    tooNew.add(line.strip());
                }
            }
        }
        assertTrue(tooNew.isEmpty(), "symbols needing glibc > 2.17:\n" + String.join("\n", tooNew));
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Paths.get(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
