package dev.preflight.agent.bench;

import dev.preflight.proto.v1.TransportProof;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Turns the workers' NCCL logs into the transport proof: which paths NCCL used, and whether it
 * fell back to TCP sockets on a node whose InfiniBand/RoCE ports are up (a FAIL: every byte between
 * nodes would go through the kernel's TCP stack).
 */
public final class TransportJudge {
    private TransportJudge() {}

    public static TransportProof judge(List<NcclDebugLog> logs, List<String> activeRdmaPorts) {
        String version = "";
        String network = "";
        String plugin = "";
        Set<String> transports = new LinkedHashSet<>();
        Set<String> nics = new LinkedHashSet<>();
        boolean gdr = false;
        boolean nvls = false;
        boolean sockets = false;
        for (NcclDebugLog log : logs) {
            version = version.isEmpty() ? log.ncclVersion() : version;
            network = network.isEmpty() ? log.network() : network;
            plugin = plugin.isEmpty() ? log.netPlugin() : plugin;
            transports.addAll(log.transports());
            nics.addAll(log.nics());
            gdr |= log.gdrdma();
            nvls |= log.nvls();
            sockets |= log.usesSockets();
        }
        TransportProof.Builder proof = TransportProof.newBuilder()
                .setNcclVersion(version)
                .setNetwork(network)
                .addAllTransports(transports)
                .addAllNics(nics)
                .setGdrdma(gdr)
                .setNvls(nvls)
                .setNetPlugin(plugin)
                .addAllActiveRdmaPorts(activeRdmaPorts);
        if (sockets && !activeRdmaPorts.isEmpty()) {
            return proof.setVerdict(TransportProof.Verdict.SOCKET_FALLBACK)
                    .setSummary("NCCL fell back to TCP sockets (" + describe(network, transports)
                            + ") although InfiniBand/RoCE ports are active: " + String.join(", ", activeRdmaPorts))
                    .build();
        }
        if (transports.isEmpty() && network.isEmpty()) {
            return proof.setVerdict(TransportProof.Verdict.UNKNOWN)
                    .setSummary("the NCCL logs name no transport (NCCL_DEBUG=INFO output missing or no connection made)")
                    .build();
        }
        List<String> parts = new ArrayList<>();
        parts.add("NCCL" + (version.isEmpty() ? "" : " " + version) + " " + describe(network, transports));
        if (!nics.isEmpty()) {
            parts.add("NICs " + String.join(", ", nics));
        }
        if (sockets) {
            parts.add("no active InfiniBand/RoCE port on this node, so sockets are expected");
        }
        return proof.setVerdict(TransportProof.Verdict.PROVEN).setSummary(String.join("; ", parts)).build();
    }

    private static String describe(String network, Set<String> transports) {
        String via = transports.isEmpty() ? "no channel lines" : "via " + String.join(", ", transports);
        return network.isEmpty() ? via : "network " + network + ", " + via;
    }
}
