package dev.preflight.agent.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Finds the NCCL the serving engine on this node would load, so the bench measures that one and
 * not whichever libnccl.so.2 the dynamic loader happens to find. In order: an explicit path (a flag
 * or $PREFLIGHT_NCCL_LIBRARY, chosen by the caller), $NCCL_HOME/lib, each $LD_LIBRARY_PATH
 * directory, the site-packages of the python3 first on $PATH (vLLM and SGLang images carry NCCL
 * as the nvidia-nccl wheel, nvidia/nccl/lib), and last the loader's own search for the soname.
 */
public final class NcclLibraryLocator {
    public static final String SONAME = "libnccl.so.2";
    static final String WHEEL_DIR = "nvidia/nccl/lib";

    /** The library to give the workers ("" leaves the soname to the loader) and how it was chosen. */
    public record Located(String library, String origin) {}

    private NcclLibraryLocator() {}

    /**
     * @param env the agent's environment (NCCL_HOME, LD_LIBRARY_PATH, PATH are read)
     */
    public static Located locate(Map<String, String> env) {
        String home = env.get("NCCL_HOME");
        if (home != null && !home.isEmpty()) {
            Path candidate = path(home, "lib", SONAME);
            if (candidate != null && Files.isRegularFile(candidate)) {
                return new Located(candidate.toString(), "$NCCL_HOME");
            }
        }
        for (String dir : entries(env.get("LD_LIBRARY_PATH"))) {
            Path candidate = path(dir, SONAME);
            if (candidate != null && Files.isRegularFile(candidate)) {
                return new Located(candidate.toString(), "$LD_LIBRARY_PATH");
            }
        }
        Path python = python3(env.get("PATH"));
        if (python != null) {
            Path wheel = wheel(python);
            if (wheel != null) {
                return new Located(wheel.toString(), "site-packages of " + python);
            }
        }
        return new Located("", "the loader's search for " + SONAME);
    }

    /** The first python3 on the PATH, as the shell would run it (relative and empty entries skipped). */
    static Path python3(String pathVariable) {
        for (String dir : entries(pathVariable)) {
            Path candidate = path(dir, "python3");
            if (candidate != null && candidate.isAbsolute() && Files.isRegularFile(candidate)
                    && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /**
     * The NCCL wheel of that Python: a venv's lib/pythonX.Y/site-packages beside its bin/, else the
     * site-packages or dist-packages of the interpreter the link points to (Debian's pip installs
     * under /usr/local/lib/pythonX.Y/dist-packages). The newest pythonX.Y first.
     */
    static Path wheel(Path python) {
        List<Path> prefixes = new ArrayList<>();
        prefixes.add(python.getParent().getParent());
        try {
            Path real = python.toRealPath();
            Path realPrefix = real.getParent().getParent();
            if (!prefixes.contains(realPrefix)) {
                prefixes.add(realPrefix);
            }
            prefixes.add(realPrefix.resolve("local"));
        } catch (IOException e) {
            // a dangling link: only the venv-style layout beside it
        }
        for (Path prefix : prefixes) {
            for (Path lib : pythonLibs(prefix.resolve("lib"))) {
                for (String packages : new String[] {"site-packages", "dist-packages"}) {
                    Path candidate = lib.resolve(packages).resolve(WHEEL_DIR).resolve(SONAME);
                    if (Files.isRegularFile(candidate)) {
                        return candidate;
                    }
                }
            }
        }
        return null;
    }

    private static List<Path> pythonLibs(Path lib) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(lib)) {
            return found;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(lib, "python3*")) {
            entries.forEach(found::add);
        } catch (IOException e) {
            return found;
        }
        found.sort(Comparator.comparing(NcclLibraryLocator::minor).reversed());
        return found;
    }

    /** 12 for python3.12; -1 for python3 itself, so versioned directories come first. */
    private static int minor(Path dir) {
        String name = dir.getFileName().toString();
        try {
            return name.startsWith("python3.") ? Integer.parseInt(name.substring("python3.".length())) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static List<String> entries(String variable) {
        List<String> entries = new ArrayList<>();
        if (variable == null) {
            return entries;
        }
        for (String entry : variable.split(":")) {
            if (!entry.isEmpty()) {
                entries.add(entry);
            }
        }
        return entries;
    }

    private static Path path(String first, String... more) {
        try {
            return Paths.get(first, more);
        } catch (InvalidPathException e) {
            return null;
        }
    }
}
