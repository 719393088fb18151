package dev.preflight.agent.check.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShmCheckTest {
    private final ShmCheck check = new ShmCheck();

    @Test
    void dockersDefault64MiBFails() {
        CheckResult result = Fixtures.run(check, Fixtures.hostFs("docker-default"));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertEquals(Scope.PROCESS, result.getScope());
        assertTrue(result.getSummary().startsWith("/dev/shm is only 64 MiB"), result.getSummary());
        assertTrue(result.getObserved().startsWith("64 MiB ("), result.getObserved());
        assertTrue(result.getObserved().endsWith("tmpfs"), result.getObserved());
        assertTrue(result.getRemediation().contains("--shm-size"), result.getRemediation());
    }

    @Test
    void eightGiBWarns() {
        CheckResult result = Fixtures.run(check, Fixtures.hostFs("containerd-ipc-lock"));
        assertEquals(Status.WARN, result.getStatus(), result.toString());
        assertTrue(result.getSummary().startsWith("/dev/shm is 8 GiB"), result.getSummary());
    }

    @Test
    void largeTmpfsPasses() {
        CheckResult result = Fixtures.run(check, Fixtures.hostFs("memlock-unlimited"));
        assertEquals(Status.PASS, result.getStatus(), result.toString());
        assertEquals(ByteSizes.KIB * 24684092,
                (long) result.getMeasurementsList().stream()
                        .filter(m -> m.getName().equals("shm_size_bytes")).findFirst().orElseThrow().getValue());
    }

    @Test
    void missingShmFails(@TempDir Path root) throws Exception {
        Fixtures.copy("memlock-unlimited", root);
        Files.delete(root.resolve("dev/shm/.keep"));
        Files.delete(root.resolve("dev/shm"));
        CheckResult result = Fixtures.run(check, HostFs.under(root));
        assertEquals(Status.FAIL, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains("does not exist"), result.getSummary());
    }

    @Test
    void malformedMountinfoIsAnErrorNamingThePath(@TempDir Path root) throws Exception {
        Fixtures.copy("memlock-unlimited", root);
        Path mountinfo = root.resolve("proc/self/mountinfo");
        Files.writeString(mountinfo, "this is not mountinfo\n");
        CheckResult result = Fixtures.run(check, HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus(), result.toString());
        assertTrue(result.getSummary().contains(mountinfo.toString()), result.getSummary());
        assertTrue(result.getSummary().contains("this is not mountinfo"), result.getSummary());
    }

    /** The statvfs path, on a real 64 MiB tmpfs: mounting needs root (CI runs as root). */
    @Test
    void realSmallTmpfsWithoutSizeOptionIsMeasuredAndFails(@TempDir Path root) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "needs root to mount a tmpfs; skipped as " + System.getProperty("user.name"));
        Fixtures.copy("memlock-unlimited", root);
        Files.copy(Fixtures.tree("shm-unsized").resolve("proc/self/mountinfo"), root.resolve("proc/self/mountinfo"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path shm = root.resolve("dev/shm");
        assumeTrue(exec("mount", "-t", "tmpfs", "-o", "size=64m", "preflight-test", shm.toString()) == 0,
                "mount -t tmpfs failed (no CAP_SYS_ADMIN?)");
        try {
            CheckResult result = Fixtures.run(check, HostFs.under(root));
            assertEquals(Status.FAIL, result.getStatus(), result.toString());
            assertTrue(result.getSummary().startsWith("/dev/shm is only 64 MiB"), result.getSummary());
            assertTrue(result.getEvidenceList().stream().anyMatch(e -> e.getSource().startsWith("statvfs(")));
        } finally {
            exec("umount", shm.toString());
        }
    }

    @ParameterizedTest
    @CsvSource({
        "tmpfs, 1073741823, 1073741823, FAIL",
        "tmpfs, 1073741824, 1073741824, WARN",
        "tmpfs, 17179869183, 17179869183, WARN",
        "tmpfs, 17179869184, 17179869184, PASS",
        "tmpfs, 68719476736, 1073741823, WARN",
        "ext4, 68719476736, 68719476736, WARN",
    })
    void thresholdsOnEachSide(String fsType, long total, long free, Status expected) {
        assertEquals(expected, ShmCheck.evaluate(fsType, total, free).status());
    }

    @Test
    void notAMountOfItsOwnWarns() {
        assertEquals(Status.WARN, ShmCheck.evaluate(null, 64 * ByteSizes.GIB, 64 * ByteSizes.GIB).status());
    }

    private static int exec(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }
}
