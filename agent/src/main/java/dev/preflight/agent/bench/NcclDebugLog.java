package dev.preflight.agent.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one NCCL_DEBUG=INFO log says about the transports NCCL really used. A pure parser of the
 * text: it tolerates launcher prefixes ("[1,0]&lt;stdout&gt;:", "0: "), lines stripped of NCCL's
 * "host:pid:tid [dev] NCCL INFO" prefix, and lines of other programs in between.
 *
 * @param transports distinct "Channel ... via X" transports with NIC indices and PXN proxies
 *     dropped: P2P/IPC, SHM/direct, NET/IB/GDRDMA, NET/Socket, NET/AWS Libfabric ...
 * @param nics NICs of "NET/IB : Using [0]mlx5_0:1/IB ..." lines, e.g. mlx5_0:1/IB, ibp0:1/IB/SHARP
 * @param socketInterfaces interfaces of "NET/Socket : Using [0]eth0:10.0.0.1&lt;0&gt;" lines
 * @param nvls NVLink SHARP was set up for a communicator ("16 nvls channels", "Connected NVLS
 *     tree", an "NVLS comm" line, a channel or tuning line naming NVLS): used, not merely available
 * @param nvlsAvailable "NVLS multicast support is available": the GPU could, which proves no use
 * @param ibNoDevice "NET/IB : No device found."
 * @param ibNics NCCL's "NET/IB : Using" list by index, which a channel's "NET/IB/&lt;d&gt;" points into
 * @param socketNics the "NET/Socket : Using" list by index, for "NET/Socket/&lt;d&gt;" channels
 * @param netChannels every channel line between nodes, in log order
 * @param rankDevices what each global rank's brackets say in channel lines ("3[0]": rank 3 is
 *     device 0; NCCL before 2.18.3 wrote the PCI bus id in hex there, "1[21000]")
 */
public record NcclDebugLog(String ncclVersion, String network, Set<String> transports, Set<String> nics,
        Set<String> socketInterfaces, boolean gdrdma, boolean nvls, String netPlugin, boolean ibNoDevice,
        boolean nvlsAvailable, Map<Integer, String> ibNics, Map<Integer, String> socketNics,
        List<NetChannel> netChannels, Map<Integer, String> rankDevices) {

    /**
     * One "Channel CC/K : A[x] -&gt; B[y] [send|receive] via NET/&lt;network&gt;/&lt;d&gt;[(proxy)][/GDRDMA]..." line.
     *
     * @param host the host of NCCL's line prefix; empty where the prefix was stripped
     * @param localRank the rank on this node the line is about: the sender of a send, the receiver of a receive
     * @param network the network name of the channel: IB, Socket, IBext_v8, AWS Libfabric ...
     * @param nicIndex the "&lt;d&gt;": an index into that network's NIC list
     * @param proxyRank under PXN, the local rank whose NIC carries the send; -1 without
     */
    public record NetChannel(String host, int localRank, boolean send, String network, int nicIndex, int proxyRank,
            boolean gdrdma) {}

    private static final Pattern VERSION = Pattern.compile("NCCL version (\\d+\\.\\d+\\.\\d+)");
    private static final Pattern NETWORK = Pattern.compile("\\bUsing network (.+?)\\s*$");
    private static final Pattern IB_USING = Pattern.compile("NET/IB ?: Using (.*)");
    private static final Pattern NIC = Pattern.compile("\\[(\\d+)\\]([^\\s\\[;]+)");
    private static final Pattern SOCKET_USING = Pattern.compile("NET/Socket ?: Using (.*)");
    private static final Pattern SOCKET_IF = Pattern.compile("\\[(\\d+)\\]([^:\\s]+):");
    private static final Pattern IB_NO_DEVICE = Pattern.compile("NET/IB ?: No device found");
    private static final Pattern NET_PLUGIN = Pattern.compile("NET/Plugin ?: Loaded net plugin (.+?) \\(v\\d+\\)");
    private static final Pattern OFI_PROVIDER = Pattern.compile("NET/OFI Selected [Pp]rovider is ([\\w;]+)");
    private static final Pattern HOST_PREFIX = Pattern.compile("([^\\s:]+):\\d+:\\d+ \\[\\d+\\] NCCL INFO ");
    private static final Pattern CHANNEL = Pattern.compile("\\bChannel \\d+(?:/\\d+)? : (\\d+)\\[([0-9a-fA-F]+)\\] -> "
            + "(\\d+)\\[([0-9a-fA-F]+)\\](?: \\[(send|receive)\\])? via (\\S.*?)\\s*$");
    private static final Pattern VIA = Pattern.compile(
            "^(P2P/[A-Za-z/]+|SHM(?:/[A-Za-z/]+)?|NET/[^/]+?/\\d+(?:\\(\\d+\\))?(?:/GDRDMA(?:\\(PCI\\))?)?(?:/Shared)?"
                    + "|CollNet\\S*|NVLS\\S*)");
    private static final Pattern NET_VIA = Pattern.compile("^NET/([^/]+?)/(\\d+)(?:\\((\\d+)\\))?(/GDRDMA)?.*$");
    private static final Pattern GDR_ENABLED = Pattern.compile("GPU Direct RDMA Enabled|use ring PXN \\d+ GDR 1");
    private static final Pattern NVLS_USED = Pattern.compile(
            "\\b[1-9]\\d* nvls channels|Connected NVLS tree|^NVLS comm 0x|Algo NVLS|Algo NVLS_TREE");
    private static final Pattern NVLS_AVAILABLE = Pattern.compile("NVLS multicast support is available");

    public static NcclDebugLog parse(String text) {
        String version = "";
        String network = "";
        String plugin = "";
        Set<String> transports = new LinkedHashSet<>();
        Set<String> nics = new LinkedHashSet<>();
        Set<String> sockets = new LinkedHashSet<>();
        Map<Integer, String> ibNics = new LinkedHashMap<>();
        Map<Integer, String> socketNics = new LinkedHashMap<>();
        List<NetChannel> netChannels = new ArrayList<>();
        Map<Integer, String> rankDevices = new LinkedHashMap<>();
        boolean gdr = false;
        boolean nvls = false;
        boolean nvlsAvailable = false;
        boolean noIb = false;
        for (String raw : text.split("\n")) {
            int info = raw.indexOf("NCCL INFO ");
            String line = info >= 0 ? raw.substring(info + "NCCL INFO ".length()) : raw;
            Matcher m = VERSION.matcher(line);
            if (version.isEmpty() && m.find()) {
                version = m.group(1);
            }
            m = NETWORK.matcher(line);
            if (m.find()) {
                network = m.group(1);
            }
            m = IB_USING.matcher(line);
            if (m.find()) {
                String list = m.group(1);
                int oob = list.indexOf(';');
                Matcher nic = NIC.matcher(oob >= 0 ? list.substring(0, oob) : list);
                while (nic.find()) {
                    nics.add(nic.group(2));
                    ibNics.putIfAbsent(Integer.parseInt(nic.group(1)), nic.group(2));
                }
            }
            m = SOCKET_USING.matcher(line);
            if (m.find()) {
                Matcher iface = SOCKET_IF.matcher(m.group(1));
                while (iface.find()) {
                    sockets.add(iface.group(2));
                    socketNics.putIfAbsent(Integer.parseInt(iface.group(1)), iface.group(2));
                }
            }
            noIb |= IB_NO_DEVICE.matcher(line).find();
            m = NET_PLUGIN.matcher(line);
            if (m.find()) {
                plugin = m.group(1);
            }
            m = OFI_PROVIDER.matcher(line);
            if (m.find() && plugin.isEmpty()) {
                plugin = "OFI (" + m.group(1) + ")";
            }
            m = CHANNEL.matcher(line);
            if (m.find()) {
                rankDevices.putIfAbsent(Integer.parseInt(m.group(1)), m.group(2).toLowerCase(java.util.Locale.ROOT));
                rankDevices.putIfAbsent(Integer.parseInt(m.group(3)), m.group(4).toLowerCase(java.util.Locale.ROOT));
                Matcher via = VIA.matcher(m.group(6));
                if (via.find()) {
                    String transport = via.group(1);
                    nvls |= transport.startsWith("NVLS");
                    Matcher net = NET_VIA.matcher(transport);
                    if (net.matches()) {
                        boolean channelGdr = net.group(4) != null;
                        gdr |= channelGdr;
                        boolean send = !"receive".equals(m.group(5));
                        int localRank = Integer.parseInt(send ? m.group(1) : m.group(3));
                        netChannels.add(new NetChannel(host(raw), localRank, send, net.group(1),
                                Integer.parseInt(net.group(2)), net.group(3) == null ? -1 : Integer.parseInt(net.group(3)),
                                channelGdr));
                        transports.add(label(transport));
                    } else {
                        transports.add(transport);
                    }
                }
            }
            gdr |= GDR_ENABLED.matcher(line).find();
            nvls |= NVLS_USED.matcher(line).find();
            nvlsAvailable |= NVLS_AVAILABLE.matcher(line).find();
        }
        return new NcclDebugLog(version, network, transports, nics, sockets, gdr, nvls, plugin, noIb, nvlsAvailable,
                ibNics, socketNics, netChannels, rankDevices);
    }

    /** "NET/IB/3(2)/GDRDMA(PCI)/Shared" as "NET/IB/GDRDMA/Shared": the NIC index and proxy say nothing of the path. */
    private static String label(String transport) {
        return transport.replaceFirst("/\\d+(?:\\(\\d+\\))?(?=/|$)", "").replace("/GDRDMA(PCI)", "/GDRDMA");
    }

    private static String host(String raw) {
        Matcher m = HOST_PREFIX.matcher(raw);
        return m.find() ? m.group(1) : "";
    }

    /** The name of the NIC a network channel used, from this log's lists; empty when the log lists none. */
    public String nicName(NetChannel channel) {
        Map<Integer, String> list = channel.network().equals("Socket") ? socketNics : ibNics;
        return channel.network().equals("Socket") || isVerbs(channel.network())
                ? list.getOrDefault(channel.nicIndex(), "") : "";
    }

    /**
     * NCCL's own InfiniBand/RoCE transport or a verbs plugin built from it (the HPC-X and cloud
     * RDMA plugins, which print the same "NET/IB : Using" list): the channel's NIC index points
     * into that list.
     */
    static boolean isVerbs(String network) {
        return network.equals("IB") || network.startsWith("IBext") || network.startsWith("NCCL RDMA Plugin");
    }

    /** Traffic between nodes goes over TCP sockets: a channel via NET/Socket, or Socket as NCCL's network. */
    public boolean usesSockets() {
        for (String transport : transports) {
            if (transport.startsWith("NET/Socket")) {
                return true;
            }
        }
        return "Socket".equals(network) || (network.isEmpty() && ibNoDevice && !socketInterfaces.isEmpty()
                && netPlugin.isEmpty());
    }
}
