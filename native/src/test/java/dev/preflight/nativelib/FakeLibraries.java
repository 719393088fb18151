package dev.preflight.nativelib;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The strict fake CUDA runtime and NCCL built by this module (native/src/test/c) and its tools. */
final class FakeLibraries {
    private FakeLibraries() {}

    static Path file(String name) {
        String dir = System.getProperty("preflight.fake.dir");
        if (dir == null) {
            throw new IllegalStateException("preflight.fake.dir is not set (Surefire sets it to native/target/fake)");
        }
        Path path = Paths.get(dir, name);
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException(path + " is missing: the build makes it in process-classes");
        }
        return path;
    }

    static Path cudart() {
        return file("libfakecudart.so");
    }

    static Path nccl() {
        return file("libfakenccl.so");
    }
}
