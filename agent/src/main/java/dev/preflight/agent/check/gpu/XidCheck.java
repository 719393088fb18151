package dev.preflight.agent.check.gpu;

import dev.preflight.agent.check.CheckContext;
import dev.preflight.agent.check.Finding;
import dev.preflight.agent.hostfs.MalformedInputException;
import dev.preflight.nativelib.KernelLog;
import dev.preflight.proto.v1.GpuInventory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * No critical Xid in the kernel log within the window (aznhc's list and 2 hours by default): Xid
 * 79 (fallen off the bus), 48/63/64 (ECC), 74 (NVLink), 119/120 (GSP) mean a GPU that will fail
 * the next job. Read from /dev/kmsg (the devfs root); where it cannot be read (no CAP_SYSLOG
 * under kernel.dmesg_restrict, no /dev/kmsg in the container) the check says so and skips.
 */
public final class XidCheck extends GpuCheck {
    public static final String ID = "gpu.xid";

    /** "NVRM: Xid (PCI:0000:3d:00): 79, pid=0, GPU has fallen off the bus." */
    static final Pattern XID = Pattern.compile("NVRM: Xid \\(PCI:([0-9A-Fa-f:.]+)\\): (\\d+),?\\s*(.*)");
    /** A /dev/kmsg record: priority/facility, sequence, microseconds since boot, flags; then the text. */
    static final Pattern RECORD = Pattern.compile("(\\d+),(\\d+),(\\d+),[^;]*;(.*)");

    /** One Xid event: the GPU's PCI address as the driver wrote it, the code, when, and the rest of the line. */
    record Xid(String pci, int code, long microsSinceBoot, String text) {}

    public XidCheck() {
        super(ID, "no critical NVIDIA Xid (79, 48, 63, 64, 74, 119, ...) in the kernel log within the window (2 h)");
    }

    @Override
    Finding evaluate(GpuInventory inventory, CheckContext context) throws Exception {
        if (inventory.getPciDevicesCount() == 0 && inventory.getGpusCount() == 0) {
            return noDriver(inventory);
        }
        Path kmsg = context.fs().dev("kmsg");
        String records;
        try {
            records = KernelLog.read(kmsg);
        } catch (IOException e) {
            context.evidence(kmsg.toString(), "(unreadable: " + e.getMessage() + ")");
            return Finding.skip("kernel log not readable (" + e.getMessage() + "): the agent needs /dev/kmsg and "
                    + "CAP_SYSLOG where kernel.dmesg_restrict=1")
                    .remediation("run the agent with CAP_SYSLOG and the host's /dev (a privileged DaemonSet pod)");
        } catch (UnsatisfiedLinkError e) {
            return Finding.skip("kernel log not readable: " + e.getMessage());
        }
        Path uptimePath = context.fs().proc("uptime");
        long nowMicros = uptimeMicros(uptimePath, context.read(uptimePath));
        List<Xid> events = parse(kmsg.toString(), records);
        Duration window = context.settings().gpu().xidWindow();
        Set<Integer> critical = context.settings().gpu().criticalXids();
        List<String> failures = new ArrayList<>();
        List<String> others = new ArrayList<>();
        for (Xid xid : events) {
            long ageMicros = nowMicros - xid.microsSinceBoot();
            if (ageMicros > window.toNanos() / 1000) {
                continue;
            }
            String line = "Xid " + xid.code() + " on " + xid.pci() + " " + age(ageMicros) + " ago: " + xid.text();
            context.evidence(kmsg.toString(), line);
            (critical.contains(xid.code()) ? failures : others).add(line);
        }
        String observed = events.size() + " Xid event(s) in the log, " + (failures.size() + others.size())
                + " within " + window.toMinutes() + " min";
        if (!failures.isEmpty()) {
            return Finding.fail(firstOf(failures))
                    .observed(observed)
                    .expected("no critical Xid within " + window.toMinutes() + " min")
                    .remediation("drain the node; reset the GPU (Xid 48/63/64/94/95: after the remap, Xid 79: reseat), "
                            + "and replace it if the Xid returns")
                    .measurement("critical_xids", failures.size(), "count", "");
        }
        return Finding.pass(others.isEmpty() ? "no Xid within " + window.toMinutes() + " min"
                        : others.size() + " non-critical Xid(s) within " + window.toMinutes() + " min (application faults): " + firstOf(others))
                .observed(observed)
                .expected("no critical Xid within " + window.toMinutes() + " min")
                .measurement("critical_xids", 0, "count", "");
    }

    /** The Xid records of a /dev/kmsg dump, in log order; lines that are not records are a malformed read. */
    static List<Xid> parse(String source, String records) throws MalformedInputException {
        List<Xid> events = new ArrayList<>();
        for (String line : records.split("\n")) {
            if (line.isEmpty() || line.startsWith(" ")) {
                continue; // continuation lines (" KEY=value" dictionary entries) belong to the record above
            }
            Matcher record = RECORD.matcher(line);
            if (!record.matches()) {
                throw new MalformedInputException(source, line, "/dev/kmsg records (priority,sequence,microseconds,flags;text)");
            }
            Matcher xid = XID.matcher(record.group(4));
            if (xid.find()) {
                events.add(new Xid(xid.group(1).toLowerCase(Locale.ROOT), Integer.parseInt(xid.group(2)),
                        Long.parseLong(record.group(3)), xid.group(3).strip()));
            }
        }
        return events;
    }

    /** /proc/uptime's first field, seconds since boot with hundredths, as microseconds (kmsg's clock). */
    static long uptimeMicros(Path source, String uptime) throws MalformedInputException {
        String first = uptime.strip().split("\\s+")[0];
        try {
            return Math.round(Double.parseDouble(first) * 1_000_000);
        } catch (NumberFormatException e) {
            throw new MalformedInputException(source, uptime, "seconds since boot, such as '12345.67 23456.78'");
        }
    }

    private static String age(long micros) {
        long minutes = micros / 60_000_000;
        return minutes >= 1 ? minutes + " min" : (micros / 1_000_000) + " s";
    }
}
