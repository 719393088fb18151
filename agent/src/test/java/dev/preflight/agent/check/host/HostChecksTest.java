package dev.preflight.agent.check.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.Fixtures;
import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Scope;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** host.nofile, host.ipc and host.identity on fixture nodes and their variants. */
class HostChecksTest {
    private static final String NODE = "hgx-8gpu-cx7-ndr";

    @Test
    void nofilePassesAtDockersMillionWarnsAt20000AndFailsAt1024() {
        CheckResult bare = Fixtures.run(new NofileCheck(), Fixtures.hostFs("memlock-unlimited"));
        assertEquals(Status.PASS, bare.getStatus(), bare.toString());
        assertEquals(Scope.PROCESS, bare.getScope());
        CheckResult container = Fixtures.run(new NofileCheck(), Fixtures.hostFs("docker-default"));
        assertEquals(Status.WARN, container.getStatus(), container.toString());
        assertEquals("soft 20000, hard 20000", container.getObserved());
        CheckResult low = Fixtures.run(new NofileCheck(), Fixtures.hostFs("nofile-1024"));
        assertEquals(Status.FAIL, low.getStatus(), low.toString());
        assertTrue(low.getSummary().contains("Too many open files"), low.getSummary());
        assertTrue(low.getRemediation().contains("nofile"), low.getRemediation());
    }

    @Test
    void nofileThresholdsAreOverridable() {
        CheckSettings strict = Fixtures.settings()
                .thresholds(dev.preflight.agent.check.Thresholds.of(java.util.Map.of("host.nofile.fail_below", 2_000_000.0),
                        NofileCheck.THRESHOLDS))
                .build();
        assertEquals(Status.FAIL, Fixtures.run(new NofileCheck(), Fixtures.hostFs("memlock-unlimited"), strict).getStatus());
    }

    @Test
    void withHostViewsTheHostsDefaultIsShownBeside(@TempDir Path root) throws Exception {
        Fixtures.copy("docker-default", root);
        Files.createDirectories(root.resolve("proc/1"));
        Files.copy(Fixtures.tree("memlock-unlimited").resolve("proc/self/limits"), root.resolve("proc/1/limits"));
        CheckResult result = Fixtures.run(new NofileCheck(), HostFs.under(root), Fixtures.settings().hostViews(true).build());
        assertEquals("soft 20000, hard 20000; host default (PID 1) soft 1048576, hard 1048576", result.getObserved());
        assertTrue(result.getEvidenceList().stream().anyMatch(e -> e.getSource().endsWith("proc/1/limits")));
    }

    @Test
    void nofileWithoutItsLineIsAnError(@TempDir Path root) throws Exception {
        Fixtures.copy("nofile-1024", root);
        Path limits = root.resolve("proc/self/limits");
        Files.writeString(limits, Files.readString(limits).replace("Max open files", "Max open filez"));
        CheckResult result = Fixtures.run(new NofileCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus());
        assertTrue(result.getSummary().contains(limits.toString()), result.getSummary());
    }

    @Test
    void ipcNeedsPtraceCapabilityUnderYamaScopeOne(@TempDir Path root) throws Exception {
        assertEquals(Status.PASS, Fixtures.run(new IpcCheck(), Fixtures.hostFs(NODE)).getStatus());
        Fixtures.copy(NODE, root);
        Files.copy(Fixtures.tree("docker-default").resolve("proc/self/status"), root.resolve("proc/self/status"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        CheckResult docker = Fixtures.run(new IpcCheck(), HostFs.under(root));
        assertEquals(Status.WARN, docker.getStatus(), docker.toString());
        assertTrue(docker.getSummary().contains("pidfd_getfd"), docker.getSummary());
        assertTrue(docker.getRemediation().contains("SYS_PTRACE"), docker.getRemediation());
        Files.writeString(root.resolve("proc/sys/kernel/yama/ptrace_scope"), "0\n");
        CheckResult scopeZero = Fixtures.run(new IpcCheck(), HostFs.under(root));
        assertEquals(Status.WARN, scopeZero.getStatus(), "CAP_IPC_LOCK is still missing: " + scopeZero);
        assertTrue(!scopeZero.getSummary().contains("pidfd_getfd"), scopeZero.getSummary());
        Files.writeString(root.resolve("proc/sys/kernel/yama/ptrace_scope"), "7\n");
        CheckResult malformed = Fixtures.run(new IpcCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, malformed.getStatus());
        assertTrue(malformed.getSummary().contains("ptrace_scope") && malformed.getSummary().contains("'7'"), malformed.getSummary());
    }

    @Test
    void ipcRules() {
        assertEquals(Status.PASS, IpcCheck.evaluate(Optional.empty(), false, true).status(), "no Yama: classic rules");
        assertEquals(Status.PASS, IpcCheck.evaluate(Optional.of(2), true, true).status());
        assertEquals(Status.WARN, IpcCheck.evaluate(Optional.of(3), true, true).status(), "scope 3 cannot be bypassed");
    }

    @Test
    void identityResolvesThroughEtcHostsThenTheResolver(@TempDir Path root) throws Exception {
        CheckResult node = Fixtures.run(new IdentityCheck(), Fixtures.hostFs(NODE));
        assertEquals(Status.PASS, node.getStatus(), node.toString());
        assertEquals("hostname gpu-node-07 -> 10.33.0.11; boot id e92b5e6a-760d-48a0-9371-ca8bcb616a35", node.getObserved());
        assertEquals(Scope.HOST, node.getScope());

        Fixtures.copy(NODE, root);
        Path hosts = root.resolve("etc/hosts");
        // Debian's installer maps the hostname to 127.0.1.1
        Files.writeString(hosts, "127.0.0.1\tlocalhost\n127.0.1.1\tgpu-node-07\n");
        CheckResult debian = Fixtures.run(new IdentityCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, debian.getStatus(), debian.toString());
        assertTrue(debian.getSummary().contains("127.0.1.1"), debian.getSummary());

        Files.writeString(hosts, "127.0.0.1\tlocalhost\n");
        assertEquals(Status.FAIL, Fixtures.run(new IdentityCheck(), HostFs.under(root)).getStatus(), "unresolvable without DNS");
        CheckResult dns = Fixtures.run(new IdentityCheck(), HostFs.under(root),
                Fixtures.settings().resolver(name -> List.of(InetAddress.getByAddress(name, new byte[] {10, 33, 0, 11}))).build());
        assertEquals(Status.PASS, dns.getStatus(), dns.toString());

        Files.writeString(root.resolve("proc/sys/kernel/hostname"), "localhost\n");
        CheckResult localhost = Fixtures.run(new IdentityCheck(), HostFs.under(root));
        assertEquals(Status.FAIL, localhost.getStatus());
        assertTrue(localhost.getRemediation().contains("unique hostname"), localhost.getRemediation());
    }

    @Test
    void aBootIdThatIsNotAUuidIsAnError(@TempDir Path root) throws Exception {
        Fixtures.copy(NODE, root);
        Files.writeString(root.resolve("proc/sys/kernel/random/boot_id"), "not-a-uuid\n");
        CheckResult result = Fixtures.run(new IdentityCheck(), HostFs.under(root));
        assertEquals(Status.ERROR, result.getStatus());
        assertTrue(result.getSummary().contains("not-a-uuid"), result.getSummary());
    }
}
