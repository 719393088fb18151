package dev.preflight.agent.hostfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.hostfs.MountInfo.Mount;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

class MountInfoTest {
    @Test
    void theLastMountAtAPointIsTheVisibleOne() throws Exception {
        MountInfo info = MountInfo.parse("m", Files.readString(Fixtures.tree("docker-default").resolve("proc/self/mountinfo")));
        Mount shm = info.at("/dev/shm").orElseThrow();
        assertEquals("tmpfs", shm.fsType());
        assertEquals("shm", shm.source());
        assertEquals("65536k", shm.superOption("size").orElseThrow());
        assertEquals("ext4", info.containing("/etc/os-release").orElseThrow().fsType());
        assertEquals("/dev/shm", info.containing("/dev/shm/nccl-abc").orElseThrow().mountPoint());
    }

    @Test
    void optionalFieldsAndEscapedPathsAreHandled() throws Exception {
        MountInfo info = MountInfo.parse("m",
                "36 35 98:0 /mnt1 /mnt/my\\040models rw,noatime master:1 shared:7 - nfs4 server:/export rw,vers=4.2\n");
        Mount mount = info.mounts().get(0);
        assertEquals("/mnt/my models", mount.mountPoint());
        assertEquals("nfs4", mount.fsType());
        assertEquals("server:/export", mount.source());
        assertTrue(mount.superOption("vers").isPresent());
    }

    @Test
    void aLineWithoutTheSeparatorIsMalformed() {
        assertThrows(MalformedInputException.class, () -> MountInfo.parse("m", "1 2 3:4 / /x rw shared:1 tmpfs tmpfs rw\n"));
    }
}
