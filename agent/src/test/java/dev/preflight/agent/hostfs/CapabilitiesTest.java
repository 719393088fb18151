package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    @Test
    void dockersDefaultSetHasNoIpcLockAndAddingItShows() throws Exception {
        Capabilities docker = Capabilities.effective("s",
                Files.readString(Fixtures.tree("docker-default").resolve("proc/self/status")));
        assertEquals(0xa80425fbL, docker.mask());
        assertFalse(docker.has(Capabilities.CAP_IPC_LOCK));
        assertFalse(docker.has(Capabilities.CAP_SYS_PTRACE));
        Capabilities withIpcLock = Capabilities.effective("s",
                Files.readString(Fixtures.tree("containerd-ipc-lock").resolve("proc/self/status")));
        assertTrue(withIpcLock.has(Capabilities.CAP_IPC_LOCK));
    }

    @Test
    void aStatusWithoutCapEffIsMalformed() {
        assertThrows(MalformedInputException.class, () -> Capabilities.effective("s", "Name:\tx\n"));
        assertThrows(MalformedInputException.class, () -> Capabilities.effective("s", "CapEff:\tzz\n"));
    }
}
