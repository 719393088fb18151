package dev.preflight.agent.hostfs;

import com.google.protobuf.Timestamp;
import dev.preflight.proto.v1.PortCounterSet;
import dev.preflight.proto.v1.PortCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every RDMA port's counters (ports/N/counters, the IB PortCounters, and ports/N/hw_counters, the
 * driver's) at one instant. The coordinator takes one before and one after a bench phase: errors
 * that rose under traffic name the bad cable, where counters on an idle link say little.
 */
public final class RdmaCounters {
    /** Counters whose rise under load means a faulty link or a lossy RoCE fabric. */
    public static final Set<String> ERROR_COUNTERS = Set.of(
            "symbol_error", "link_downed", "link_error_recovery", "port_rcv_errors", "port_rcv_remote_physical_errors",
            "port_xmit_discards", "local_link_integrity_errors", "excessive_buffer_overrun_errors", "VL15_dropped",
            "out_of_sequence", "local_ack_timeout_err", "packet_seq_err", "rnr_nak_retry_err", "req_cqe_error",
            "resp_cqe_error", "implied_nak_seq_err", "rx_icrc_encapsulated");
    /** Counters of congestion: they rise on a healthy RoCE fabric too, but their size matters. */
    public static final Set<String> CONGESTION_COUNTERS = Set.of("port_xmit_wait", "np_cnp_sent", "rp_cnp_handled", "np_ecn_marked_roce_packets");

    /** A counter that rose between two snapshots. */
    public record Rise(String port, String counter, long before, long after) {
        public long delta() {
            return after - before;
        }
    }

    private RdmaCounters() {}

    /**
     * Reads every port's counters, live (not from a run's host model: they are taken around
     * traffic); a counter that cannot be read is listed, not fatal.
     */
    public static PortCounters take(HostFs fs, Instant now) throws IOException {
        PortCounters.Builder snapshot = PortCounters.newBuilder()
                .setTakenAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
        HostReader reader = HostReader.unrecorded(fs);
        Path root = RdmaDevices.root(fs);
        for (String device : RdmaDevices.names(reader)) {
            for (String port : RdmaDevices.portNames(reader, device)) {
                Path dir = root.resolve(device).resolve("ports").resolve(port);
                PortCounterSet.Builder set = PortCounterSet.newBuilder().setDevice(device);
                try {
                    set.setPort(RdmaDevices.portNumber(dir, port));
                } catch (MalformedInputException e) {
                    continue;
                }
                try {
                    set.setLinkLayer(SysfsValues.value(HostFs.readText(dir.resolve("link_layer"))));
                } catch (IOException e) {
                    set.addUnreadable("link_layer: " + IoErrors.reason(e));
                }
                read(reader, dir, "counters", set.getMutableCounters(), set);
                read(reader, dir, "hw_counters", set.getMutableHwCounters(), set);
                snapshot.addPorts(set);
            }
        }
        return snapshot.build();
    }

    private static void read(HostReader reader, Path port, String kind, Map<String, Long> into, PortCounterSet.Builder set)
            throws IOException {
        for (String name : reader.list(port.resolve(kind))) {
            Path file = port.resolve(kind).resolve(name);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try {
                String value = SysfsValues.value(HostFs.readText(file));
                into.put(name, Long.parseUnsignedLong(value));
            } catch (IOException e) {
                set.addUnreadable(kind + "/" + name + ": " + IoErrors.reason(e));
            } catch (NumberFormatException e) {
                set.addUnreadable(kind + "/" + name + ": not a counter");
            }
        }
    }

    /** The error counters that rose from one snapshot to the next, port by port. */
    public static List<Rise> risenErrors(PortCounters before, PortCounters after) {
        Map<String, PortCounterSet> earlier = new TreeMap<>();
        for (PortCounterSet set : before.getPortsList()) {
            earlier.put(set.getDevice() + ":" + set.getPort(), set);
        }
        List<Rise> rises = new ArrayList<>();
        for (PortCounterSet set : after.getPortsList()) {
            String port = set.getDevice() + ":" + set.getPort();
            PortCounterSet previous = earlier.get(port);
            if (previous == null) {
                continue;
            }
            compare(port, previous.getCountersMap(), set.getCountersMap(), rises);
            compare(port, previous.getHwCountersMap(), set.getHwCountersMap(), rises);
        }
        return rises;
    }

    private static void compare(String port, Map<String, Long> before, Map<String, Long> after, List<Rise> rises) {
        for (Map.Entry<String, Long> counter : new TreeMap<>(after).entrySet()) {
            Long previous = before.get(counter.getKey());
            if (previous != null && ERROR_COUNTERS.contains(counter.getKey())
                    && Long.compareUnsigned(counter.getValue(), previous) > 0) {
                rises.add(new Rise(port, counter.getKey(), previous, counter.getValue()));
            }
        }
    }
}
