package dev.preflight.agent.bench;

import dev.preflight.proto.v1.NcclSetting;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The NCCL settings a request may choose for the workers, and the values each accepts. Anything
 * else is refused: a request-chosen NCCL_NET_PLUGIN or NCCL_TOPO_FILE would load a library or read
 * a file of the requester's choosing as the agent's user, and the NCCL_DEBUG* and
 * NCCL_COMM_BLOCKING variables belong to the bench itself.
 */
public final class NcclSettings {
    public static final int MAX_SETTINGS = 64;
    private static final int MAX_VALUE_LENGTH = 256;

    private static final Pattern FLAG = Pattern.compile("[01]");
    private static final Pattern SMALL_INT = Pattern.compile("-?\\d{1,9}");
    private static final Pattern ALGORITHMS = Pattern.compile("[A-Za-z0-9,;:^ ]+");
    private static final Pattern DEVICES = Pattern.compile("[A-Za-z0-9_.:,=^-]+");
    private static final Pattern DISTANCE = Pattern.compile("(?i)LOC|NVL|PIX|PXB|PHB|SYS|[0-5]");

    private static final Map<String, Pattern> ALLOWED = new TreeMap<>(Map.ofEntries(
            Map.entry("NCCL_ALGO", ALGORITHMS),
            Map.entry("NCCL_PROTO", ALGORITHMS),
            Map.entry("NCCL_IB_HCA", DEVICES),
            Map.entry("NCCL_SOCKET_IFNAME", DEVICES),
            Map.entry("NCCL_IB_GID_INDEX", SMALL_INT),
            Map.entry("NCCL_IB_TC", SMALL_INT),
            Map.entry("NCCL_IB_SL", SMALL_INT),
            Map.entry("NCCL_IB_TIMEOUT", SMALL_INT),
            Map.entry("NCCL_IB_RETRY_CNT", SMALL_INT),
            Map.entry("NCCL_IB_QPS_PER_CONNECTION", SMALL_INT),
            Map.entry("NCCL_IB_ROCE_VERSION_NUM", SMALL_INT),
            Map.entry("NCCL_IB_ADDR_FAMILY", Pattern.compile("AF_INET6?")),
            Map.entry("NCCL_IB_PCI_RELAXED_ORDERING", SMALL_INT),
            Map.entry("NCCL_IB_DISABLE", FLAG),
            Map.entry("NCCL_P2P_DISABLE", FLAG),
            Map.entry("NCCL_SHM_DISABLE", FLAG),
            Map.entry("NCCL_NVLS_ENABLE", SMALL_INT),
            Map.entry("NCCL_COLLNET_ENABLE", FLAG),
            Map.entry("NCCL_CROSS_NIC", SMALL_INT),
            Map.entry("NCCL_NET_GDR_LEVEL", DISTANCE),
            Map.entry("NCCL_NET_GDR_READ", FLAG),
            Map.entry("NCCL_P2P_LEVEL", DISTANCE),
            Map.entry("NCCL_MIN_NCHANNELS", SMALL_INT),
            Map.entry("NCCL_MAX_NCHANNELS", SMALL_INT),
            Map.entry("NCCL_BUFFSIZE", SMALL_INT),
            Map.entry("NCCL_NET", Pattern.compile("IB|Socket"))));

    private NcclSettings() {}

    /**
     * The settings as environment variables, in request order.
     *
     * @throws IllegalArgumentException naming the setting and what is accepted
     */
    public static Map<String, String> validate(List<NcclSetting> settings) {
        if (settings.size() > MAX_SETTINGS) {
            throw new IllegalArgumentException(settings.size() + " settings, at most " + MAX_SETTINGS);
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (NcclSetting setting : settings) {
            String name = setting.getName();
            String value = setting.getValue();
            Pattern accepted = ALLOWED.get(name);
            if (accepted == null) {
                throw new IllegalArgumentException(printable(name) + " is not a setting a request may choose (allowed: "
                        + String.join(", ", ALLOWED.keySet()) + ")");
            }
            if (value.length() > MAX_VALUE_LENGTH || !accepted.matcher(value).matches()) {
                throw new IllegalArgumentException(name + "=" + printable(value) + ": expected a value matching "
                        + accepted.pattern());
            }
            if (env.put(name, value) != null) {
                throw new IllegalArgumentException(name + " is given twice");
            }
        }
        return env;
    }

    private static String printable(String text) {
        String shown = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        return "'" + shown.replaceAll("[^\\x20-\\x7e]", "?") + "'";
    }
}
