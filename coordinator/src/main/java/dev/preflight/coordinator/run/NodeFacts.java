package dev.preflight.coordinator.run;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Fact;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PortFact;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the node checks found that the cluster-level work needs: their facts folded into the
 * node's fingerprint (so the consistency phase diffs NIC rates, rails, GID indexes and model-store
 * fingerprints across nodes), and the figures scoring reads (the typed ports with their rails and
 * whether a rail needs them, storage reads).
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
     * Every RDMA port fabric.ib_ports read, typed: its negotiated rate, whether a GPU rail or
     * NCCL_IB_HCA requires it, and the local GPU index whose rail it serves (-1 for none).
     */
    static List<Measurements.PortRate> portRates(String node, NodeReport report) {
        List<Measurements.PortRate> ports = new ArrayList<>();
        for (CheckResult check : report.getChecksList()) {
            for (PortFact port : check.getPortsList()) {
                ports.add(Measurements.PortRate.newBuilder()
                        .setNode(node)
                        .setDevice(port.getDevice())
                        .setPort(port.getPort())
                        .setRateBytesPerSecond(port.getRateBitsPerSecond() / 8.0)
                        .setRail(port.getRailsCount() > 0 ? port.getRails(0) : -1)
                        .setLinkLayer(port.getLinkLayer())
                        .setRequired(port.getRequired())
                        .setState(port.getState())
                        .build());
            }
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
