package dev.preflight.agent.bench;

import dev.preflight.proto.v1.NetChannelUse;
import dev.preflight.proto.v1.TransportProof;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns the workers' NCCL logs into the transport proof: which paths NCCL used, which NIC each
 * GPU's traffic between nodes took, and whether it fell back to TCP sockets on a node whose
 * InfiniBand/RoCE ports are up (a FAIL: every byte between nodes would go through the kernel's
 * TCP stack).
 */
public final class TransportJudge {
    /** NCCL's brackets hold an NVML device index (two digits at most) since 2.18.3, a hex PCI bus id before. */
    private static final Pattern DEVICE_INDEX = Pattern.compile("\\d{1,2}");

    private TransportJudge() {}

    public static TransportProof judge(List<NcclDebugLog> logs, List<String> activeRdmaPorts) {
        String version = "";
        String network = "";
        String plugin = "";
        Set<String> transports = new LinkedHashSet<>();
        Set<String> nics = new LinkedHashSet<>();
        boolean gdr = false;
        boolean nvls = false;
        boolean nvlsAvailable = false;
        boolean sockets = false;
        Map<Integer, String> rankDevices = new HashMap<>();
        for (NcclDebugLog log : logs) {
            log.rankDevices().forEach(rankDevices::putIfAbsent);
        }
        Map<NetChannelUse, Integer> uses = new LinkedHashMap<>();
        for (NcclDebugLog log : logs) {
            for (NcclDebugLog.NetChannel channel : log.netChannels()) {
                uses.merge(use(log, channel, rankDevices), 1, Integer::sum);
            }
            nvlsAvailable |= log.nvlsAvailable();
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
                .setNvlsAvailable(nvlsAvailable)
                .setNetPlugin(plugin)
                .addAllActiveRdmaPorts(activeRdmaPorts);
        uses.forEach((use, count) -> proof.addNetChannels(use.toBuilder().setChannels(count)));
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

    /** A channel line's facts without its count; the GPU is the one whose NIC carried it (the proxy's under PXN). */
    private static NetChannelUse use(NcclDebugLog log, NcclDebugLog.NetChannel channel, Map<Integer, String> rankDevices) {
        int carrier = channel.proxyRank() >= 0 ? channel.proxyRank() : channel.localRank();
        String device = rankDevices.getOrDefault(carrier, "");
        NetChannelUse.Builder use = NetChannelUse.newBuilder()
                .setHost(channel.host())
                .setRank(channel.localRank())
                .setSend(channel.send())
                .setProxyRank(channel.proxyRank())
                .setGpu(-1)
                .setNetwork(channel.network())
                .setNicIndex(channel.nicIndex())
                .setNic(log.nicName(channel))
                .setGdrdma(channel.gdrdma());
        if (DEVICE_INDEX.matcher(device).matches()) {
            use.setGpu(Integer.parseInt(device));
        } else if (!device.isEmpty()) {
            use.setGpuPciBusId(busId(Long.parseLong(device, 16)));
        }
        return use.build();
    }

    /** NCCL's int64 bus id (0x19000) as sysfs writes it (0000:19:00.0). */
    static String busId(long id) {
        return String.format("%04x:%02x:%02x.%x", id >> 20, (id & 0xff000) >> 12, (id & 0xff0) >> 4, id & 0xf);
    }

    private static String describe(String network, Set<String> transports) {
        String via = transports.isEmpty() ? "no channel lines" : "via " + String.join(", ", transports);
        return network.isEmpty() ? via : "network " + network + ", " + via;
    }
}
