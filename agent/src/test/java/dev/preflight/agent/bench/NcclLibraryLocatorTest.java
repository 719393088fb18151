package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the bench finds NCCL, on layouts of real serving images (a venv with the nvidia-nccl wheel, Debian's pip). */
class NcclLibraryLocatorTest {
    @TempDir
    Path root;

    private Path file(String relative) throws Exception {
        Path path = root.resolve(relative);
        Files.createDirectories(path.getParent());
        Files.writeString(path, "");
        return path;
    }

    private Path python(String relative) throws Exception {
        Path path = file(relative);
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
        return path;
    }

    @Test
    void theVenvOnThePathCarriesTheEnginesNccl() throws Exception {
        // the H200 validation machine: /opt/torch/.venv/bin/python3 first on PATH, the wheel in python3.12
        python("opt/torch/.venv/bin/python3");
        Path wheel = file("opt/torch/.venv/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2");
        file("usr/lib/x86_64-linux-gnu/libnccl.so.2");

        NcclLibraryLocator.Located located = NcclLibraryLocator.locate(Map.of(
                "PATH", root.resolve("opt/torch/.venv/bin") + ":" + root.resolve("usr/bin")));

        assertEquals(wheel.toString(), located.library());
        assertEquals("site-packages of " + root.resolve("opt/torch/.venv/bin/python3"), located.origin());
    }

    @Test
    void aSystemPythonLinkedFromThePathFindsDebiansDistPackages() throws Exception {
        Path real = python("usr/bin/python3.11");
        Files.createDirectories(root.resolve("bin"));
        Files.createSymbolicLink(root.resolve("bin/python3"), real);
        Path wheel = file("usr/local/lib/python3.11/dist-packages/nvidia/nccl/lib/libnccl.so.2");

        assertEquals(wheel.toString(), NcclLibraryLocator.locate(Map.of("PATH", root.resolve("bin").toString())).library());
    }

    @Test
    void theNewestPythonVersionsWheelWins() throws Exception {
        python("venv/bin/python3");
        file("venv/lib/python3.9/site-packages/nvidia/nccl/lib/libnccl.so.2");
        Path newer = file("venv/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2");

        assertEquals(newer.toString(), NcclLibraryLocator.locate(Map.of("PATH", root.resolve("venv/bin").toString())).library());
    }

    @Test
    void ncclHomeThenLdLibraryPathComeBeforePython() throws Exception {
        python("venv/bin/python3");
        file("venv/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2");
        Path fromPath = file("ld/libnccl.so.2");
        Path fromHome = file("nccl/lib/libnccl.so.2");
        String path = root.resolve("venv/bin").toString();
        String ld = root.resolve("empty") + "::" + root.resolve("ld");

        NcclLibraryLocator.Located home = NcclLibraryLocator.locate(Map.of("NCCL_HOME", root.resolve("nccl").toString(),
                "LD_LIBRARY_PATH", ld, "PATH", path));
        assertEquals(fromHome.toString(), home.library());
        assertEquals("$NCCL_HOME", home.origin());

        NcclLibraryLocator.Located ldPath = NcclLibraryLocator.locate(Map.of("NCCL_HOME", root.resolve("absent").toString(),
                "LD_LIBRARY_PATH", ld, "PATH", path));
        assertEquals(fromPath.toString(), ldPath.library());
        assertEquals("$LD_LIBRARY_PATH", ldPath.origin());
    }

    @Test
    void withNothingFoundTheLoaderSearchesForTheSoname() throws Exception {
        python("venv/bin/python3");
        file("venv/lib/python3.12/site-packages/torch/lib/libtorch.so");

        NcclLibraryLocator.Located located = NcclLibraryLocator.locate(Map.of("PATH", root.resolve("venv/bin").toString(),
                "LD_LIBRARY_PATH", "relative/dir"));
        assertEquals("", located.library());
        assertEquals("the loader's search for libnccl.so.2", located.origin());
        assertEquals("", NcclLibraryLocator.locate(Map.of()).library());
    }

    @Test
    void aPython3ThatIsNotExecutableIsNotThePythonOnThePath() throws Exception {
        file("a/bin/python3");
        file("a/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2");
        python("b/bin/python3");
        Path second = file("b/lib/python3.12/site-packages/nvidia/nccl/lib/libnccl.so.2");
        String path = root.resolve("a/bin") + ":" + root.resolve("b/bin");

        assertEquals(root.resolve("b/bin/python3"), NcclLibraryLocator.python3(path));
        assertEquals(second.toString(), NcclLibraryLocator.locate(Map.of("PATH", path)).library());
    }
}
