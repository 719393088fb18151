package dev.preflight.agent.node;

import dev.preflight.proto.v1.Fingerprint;
import dev.preflight.proto.v1.GpuInventory;
import dev.preflight.proto.v1.NodeInfo;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The facts that must agree across nodes, flattened to dotted keys for the coordinator to diff.
 * Node identity (hostname, boot id) is not part of it: those must differ, and are compared apart.
 */
public final class FingerprintCollector {
    /** The environment variable prefix whose settings must match on every node. */
    static final String NCCL_PREFIX = "NCCL_";

    private final NodeInfoCollector nodeInfo;
    private final Map<String, String> environment;

    public FingerprintCollector(NodeInfoCollector nodeInfo, Map<String, String> environment) {
        this.nodeInfo = nodeInfo;
        this.environment = environment;
    }

    public Fingerprint collect() {
        Map<String, String> facts = new TreeMap<>();
        NodeInfo info = nodeInfo.collect();
        put(facts, "kernel", info.getKernel());
        put(facts, "os", info.getOs());
        put(facts, "cpu.model", info.getCpuModel());
        put(facts, "cpu.count", info.getCpuCount() == 0 ? "" : Integer.toString(info.getCpuCount()));
        put(facts, "agent.version", info.getAgentVersion());
        if (info.hasGpuInventory()) {
            GpuInventory gpus = info.getGpuInventory();
            put(facts, "gpu.driver", gpus.getDriverVersion());
            put(facts, "gpu.cuda_driver", gpus.getCudaDriverVersion());
            int count = gpus.getGpusCount() > 0 ? gpus.getGpusCount() : gpus.getPciDevicesCount();
            put(facts, "gpu.count", Integer.toString(count));
            TreeSet<String> models = new TreeSet<>();
            gpus.getGpusList().forEach(gpu -> models.add(gpu.getName()));
            put(facts, "gpu.model", String.join(" + ", models));
        }
        environment.forEach((name, value) -> {
            if (name.startsWith(NCCL_PREFIX)) {
                facts.put("nccl_env." + name, value);
            }
        });
        return Fingerprint.newBuilder().putAllFacts(facts).build();
    }

    private static void put(Map<String, String> facts, String key, String value) {
        if (!value.isEmpty()) {
            facts.put(key, value);
        }
    }
}
