package dev.preflight.agent.bench;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one NCCL_DEBUG=INFO log says about the transports NCCL really used. A pure parser of the
 * text: it tolerates launcher prefixes ("[1,0]&lt;stdout&gt;:", "0: "), lines stripped of NCCL's
 * "host:pid:tid [dev] NCCL INFO" prefix, and lines of other programs in between.
 *
 * @param transports distinct "Channel ... via X" transports with NIC indices dropped: P2P/IPC,
 *     SHM/direct, NET/IB/GDRDMA, NET/Socket, NET/AWS Libfabric ...
 * @param nics NICs of "NET/IB : Using [0]mlx5_0:1/IB ..." lines, e.g. mlx5_0:1/IB, ibp0:1/IB/SHARP
 * @param socketInterfaces interfaces of "NET/Socket : Using [0]eth0:10.0.0.1&lt;0&gt;" lines
 * @param ibNoDevice "NET/IB : No device found."
 */
public record NcclDebugLog(String ncclVersion, String network, Set<String> transports, Set<String> nics,
        Set<String> socketInterfaces, boolean gdrdma, boolean nvls, String netPlugin, boolean ibNoDevice) {

    private static final Pattern VERSION = Pattern.compile("NCCL version (\\d+\\.\\d+\\.\\d+)");
    private static final Pattern NETWORK = Pattern.compile("\\bUsing network (.+?)\\s*$");
    private static final Pattern IB_USING = Pattern.compile("NET/IB ?: Using (.*)");
    private static final Pattern NIC = Pattern.compile("\\[\\d+\\]([^\\s\\[;]+)");
    private static final Pattern SOCKET_USING = Pattern.compile("NET/Socket ?: Using (.*)");
    private static final Pattern SOCKET_IF = Pattern.compile("\\[\\d+\\]([^:\\s]+):");
    private static final Pattern IB_NO_DEVICE = Pattern.compile("NET/IB ?: No device found");
    private static final Pattern NET_PLUGIN = Pattern.compile("NET/Plugin ?: Loaded net plugin (.+?) \\(v\\d+\\)");
    private static final Pattern OFI_PROVIDER = Pattern.compile("NET/OFI Selected [Pp]rovider is ([\\w;]+)");
    private static final Pattern VIA = Pattern.compile(
            "\\bvia (P2P/[A-Za-z/]+|SHM(?:/[A-Za-z/]+)?|NET/[^/\\n]+?/\\d+(?:/GDRDMA)?(?:/Shared)?|CollNet\\S*|NVLS\\S*)");
    private static final Pattern NET_DEVICE = Pattern.compile("^(NET/[^/]+)/\\d+(.*)$");
    private static final Pattern GDR_ENABLED = Pattern.compile("GPU Direct RDMA Enabled|use ring PXN \\d+ GDR 1");
    private static final Pattern NVLS_AVAILABLE = Pattern.compile("NVLS multicast support is available|[1-9]\\d* nvls channels");

    public static NcclDebugLog parse(String text) {
        String version = "";
        String network = "";
        String plugin = "";
        Set<String> transports = new LinkedHashSet<>();
        Set<String> nics = new LinkedHashSet<>();
        Set<String> sockets = new LinkedHashSet<>();
        boolean gdr = false;
        boolean nvls = false;
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
                    nics.add(nic.group(1));
                }
            }
            m = SOCKET_USING.matcher(line);
            if (m.find()) {
                Matcher iface = SOCKET_IF.matcher(m.group(1));
                while (iface.find()) {
                    sockets.add(iface.group(1));
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
            m = VIA.matcher(line);
            while (m.find()) {
                String transport = m.group(1);
                gdr |= transport.endsWith("/GDRDMA") || transport.contains("/GDRDMA/");
                nvls |= transport.startsWith("NVLS");
                Matcher device = NET_DEVICE.matcher(transport);
                transports.add(device.matches() ? device.group(1) + device.group(2) : transport);
            }
            gdr |= GDR_ENABLED.matcher(line).find();
            nvls |= NVLS_AVAILABLE.matcher(line).find();
        }
        return new NcclDebugLog(version, network, transports, nics, sockets, gdr, nvls, plugin, noIb);
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
