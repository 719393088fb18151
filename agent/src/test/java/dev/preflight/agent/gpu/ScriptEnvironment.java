package dev.preflight.agent.gpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** A wrapper that runs the fake nvidia-smi with the captures to print, since the agent passes no environment of its own. */
final class ScriptEnvironment {
    private ScriptEnvironment() {}

    static String wrap(Path script, Path dir, Path roster, Path log) throws IOException {
        Path wrapper = Files.createTempFile(dir, "nvidia-smi-", ".sh");
        Files.write(wrapper, ("#!/bin/sh\nFAKE_NVIDIA_SMI_ROSTER='" + roster + "' FAKE_NVIDIA_SMI_LOG='" + log
                + "' exec '" + script + "' \"$@\"\n").getBytes(StandardCharsets.UTF_8));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        return wrapper.toString();
    }
}
