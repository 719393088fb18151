package dev.preflight.coordinator.run;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Fact;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.NodeReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the node checks found that the cluster-level work needs: their facts folded into the
 * node's fingerprint (so the consistency phase diffs NIC rates, rails, GID indexes and model-store
 * fingerprints across nodes), and the figures scoring reads (port rates per rail, storage reads).
 */
final class NodeFacts {
    /** Identity must differ between nodes: the consistency phase compares it apart. */
    static final Set<String> IDENTITY = Set.of("hostname", "boot_id");

    private NodeFacts() {}

    /** The node with every check fact in its fingerprint, keyed "name" or "name.subject". */
    static NodeReport withCheckFacts(NodeReport node) {
        NodeReport.Builder builder = node.toBuilder();
        for (CheckResult check : node.getChecksList()) {
            for (Fact fact : check.getFactsList()) {
                if (!IDENTITY.contains(fact.getName())) {
                    String key = fact.getSubject().isEmpty() ? fact.getName() : fact.getName() + "." + fact.getSubject();
                    builder.getFingerprintBuilder().putFacts(key, fact.getValue());
                }
            }
        }
        return builder.build();
    }

    /**
     * Every port's negotiated rate (fabric.ib_ports), with the local GPU index whose rail it serves
     * (host.topology's rail map) where the node has one.
     */
    static List<Measurements.PortRate> portRates(String node, NodeReport report) {
        Map<String, Integer> railByDevice = new HashMap<>();
        Map<String, String> linkLayer = new HashMap<>();
        List<Measurement> rates = new ArrayList<>();
        for (CheckResult check : report.getChecksList()) {
            for (Fact fact : check.getFactsList()) {
                if (fact.getName().equals("rail") && fact.getSubject().startsWith("GPU")) {
                    railByDevice.putIfAbsent(fact.getValue().split(" ")[0],
                            Integer.parseInt(fact.getSubject().substring(3).split(" ")[0]));
                } else if (fact.getName().equals("port")) {
                    linkLayer.put(fact.getSubject(), fact.getValue().split(" ")[0]);
                }
            }
            if (check.getId().equals("fabric.ib_ports")) {
                check.getMeasurementsList().stream().filter(m -> m.getName().equals("port_rate")).forEach(rates::add);
            }
        }
        List<Measurements.PortRate> ports = new ArrayList<>();
        for (Measurement rate : rates) {
            String[] port = rate.getSubject().split(":");
            if (port.length != 2) {
                continue;
            }
            ports.add(Measurements.PortRate.newBuilder()
                    .setNode(node)
                    .setDevice(port[0])
                    .setPort(Integer.parseInt(port[1]))
                    .setRateBytesPerSecond(rate.getValue())
                    .setRail(railByDevice.getOrDefault(port[0], -1))
                    .setLinkLayer(linkLayer.getOrDefault(rate.getSubject(), ""))
                    .build());
        }
        return ports;
    }

    /** The model-store reads of storage.models; every node reads at once, as the checks run together. */
    static List<Measurements.StorageRead> storageReads(String node, NodeReport report) {
        List<Measurements.StorageRead> reads = new ArrayList<>();
        for (CheckResult check : report.getChecksList()) {
            for (Measurement measurement : check.getMeasurementsList()) {
                if (measurement.getName().equals("storage_read_bytes_per_second")) {
                    reads.add(Measurements.StorageRead.newBuilder().setNode(node).setPath(measurement.getSubject())
                            .setReadBytesPerSecond(measurement.getValue()).setConcurrent(true).build());
                }
            }
        }
        return reads;
    }
}
