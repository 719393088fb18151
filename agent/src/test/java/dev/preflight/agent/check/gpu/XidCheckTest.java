package dev.preflight.agent.check.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.check.CheckSettings;
import dev.preflight.agent.check.GpuLimits;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.agent.gpu.FakeNvml;
import dev.preflight.agent.gpu.GpuSources;
import dev.preflight.agent.gpu.GpuTestNode;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.proto.v1.CheckResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XidCheckTest {
    @TempDir
    Path root;

    private CheckResult run(HostFs fs, GpuLimits.Builder gpu) {
        return GpuTestNode.run(new XidCheck(), fs, CheckSettings.builder().gpu(gpu.build()).build(),
                GpuSources.builder().nvmlLoader(FakeNvml.h100Hgx().loader()).build());
    }

    private HostFs node() throws Exception {
        String kmsg = Files.readString(GpuTestNode.fixture("kmsg-h100-xid79-xid74.txt"), StandardCharsets.UTF_8);
        String uptime = Files.readString(GpuTestNode.fixture("uptime-19200s.txt"), StandardCharsets.UTF_8);
        return new GpuTestNode(root).file("dev/kmsg", kmsg.strip()).file("proc/uptime", uptime.strip()).fs();
    }

    @Test
    void parsesXidRecordsWithTheirBootTime() throws Exception {
        List<XidCheck.Xid> events = XidCheck.parse("kmsg",
                Files.readString(GpuTestNode.fixture("kmsg-h100-xid79-xid74.txt"), StandardCharsets.UTF_8));
        assertEquals(3, events.size());
        assertEquals(new XidCheck.Xid("0000:3d:00", 79, 12345678901L, "pid=0, GPU has fallen off the bus."), events.get(0));
        assertEquals(74, events.get(1).code());
        assertEquals(31, events.get(2).code());
    }

    @Test
    void aCriticalXidInsideTheWindowFailsAndOneOutsideItDoesNot() throws Exception {
        CheckResult twoHours = run(node(), GpuLimits.builder());
        assertEquals(CheckResult.Status.FAIL, twoHours.getStatus(), twoHours.getSummary());
        assertTrue(twoHours.getSummary().startsWith("Xid 79 on 0000:3d:00 114 min ago"), twoHours.getSummary());

        CheckResult oneHour = run(node(), GpuLimits.builder().xidWindow(Duration.ofHours(1)));
        assertEquals(CheckResult.Status.FAIL, oneHour.getStatus());
        assertTrue(oneHour.getSummary().startsWith("Xid 74 on 0000:b9:00 3 min ago"), oneHour.getSummary());
        assertTrue(!oneHour.getSummary().contains("Xid 79"), oneHour.getSummary());

        CheckResult tenSeconds = run(node(), GpuLimits.builder().xidWindow(Duration.ofMinutes(2)));
        assertEquals(CheckResult.Status.PASS, tenSeconds.getStatus(), tenSeconds.getSummary());
        assertTrue(tenSeconds.getSummary().contains("Xid 31"), tenSeconds.getSummary());
    }

    @Test
    void anUnreadableKernelLogSkipsWithTheReason() throws Exception {
        HostFs fs = new GpuTestNode(root).file("proc/uptime", "100.00 200.00").fs();
        CheckResult result = run(fs, GpuLimits.builder());
        assertEquals(CheckResult.Status.SKIP, result.getStatus());
        assertTrue(result.getSummary().startsWith("kernel log not readable (" + root.resolve("dev/kmsg") + ": No such file or directory)"),
                result.getSummary());
    }

    @Test
    void somethingThatIsNotAKmsgRecordIsMalformed() {
        MalformedInputException error = assertThrows(MalformedInputException.class,
                () -> XidCheck.parse("/dev/kmsg", "[   10.735323] pci 0000:04:00.0: 252.048 Gb/s available"));
        assertTrue(error.getMessage().startsWith("malformed /dev/kmsg: expected /dev/kmsg records"), error.getMessage());
    }
}
