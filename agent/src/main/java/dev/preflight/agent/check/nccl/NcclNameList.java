package dev.preflight.agent.check.nccl;

import java.util.ArrayList;
import java.util.List;

/**
 * A device or interface list as NCCL reads NCCL_SOCKET_IFNAME and NCCL_IB_HCA (parseStringList and
 * matchIfList in NCCL's misc/utils.cc): a leading {@code ^} makes it an exclude list, a following
 * {@code =} makes names exact instead of prefixes, entries are comma-separated and may carry
 * {@code :port} (later fields, rail and plane, do not select). An entry without {@code =} is a
 * prefix, so {@code mlx5_1} also selects {@code mlx5_10}. At most {@code maxEntries} entries count.
 */
public final class NcclNameList {
    /** One entry; port -1 means any port. */
    public record Entry(String prefix, int port) {
        @Override
        public String toString() {
            return port < 0 ? prefix : prefix + ":" + port;
        }
    }

    /** NCCL's MAX_IFS for socket interfaces. */
    public static final int MAX_SOCKET_INTERFACES = 16;
    /** NCCL's MAX_IB_DEVS. */
    public static final int MAX_IB_DEVICES = 32;

    private final String raw;
    private final boolean exclude;
    private final boolean exact;
    private final List<Entry> entries;
    private final int ignored;

    private NcclNameList(String raw, boolean exclude, boolean exact, List<Entry> entries, int ignored) {
        this.raw = raw;
        this.exclude = exclude;
        this.exact = exact;
        this.entries = entries;
        this.ignored = ignored;
    }

    public static NcclNameList parse(String value, int maxEntries) {
        String rest = value;
        boolean exclude = rest.startsWith("^");
        if (exclude) {
            rest = rest.substring(1);
        }
        boolean exact = rest.startsWith("=");
        if (exact) {
            rest = rest.substring(1);
        }
        // parseStringList skips one more leading '^' or '=' of its own.
        if (rest.startsWith("^") || rest.startsWith("=")) {
            rest = rest.substring(1);
        }
        List<Entry> entries = new ArrayList<>();
        int ignored = 0;
        for (String token : rest.split(",", -1)) {
            int colon = token.indexOf(':');
            String prefix = colon < 0 ? token : token.substring(0, colon);
            if (prefix.isEmpty()) {
                continue;
            }
            if (entries.size() == maxEntries) {
                ignored++;
                continue;
            }
            String portField = colon < 0 ? "" : token.substring(colon + 1);
            // An empty port field ("mlx5_0::0:0", NCCL 2.30) keeps all ports while naming a rail.
            boolean anyPort = portField.isEmpty() || portField.startsWith(":");
            entries.add(new Entry(prefix, anyPort ? -1 : atoi(portField)));
        }
        return new NcclNameList(value, exclude, exact, List.copyOf(entries), ignored);
    }

    /** Whether NCCL would use this interface (port -1) or this device's port. */
    public boolean selects(String name, int port) {
        return matchesAny(name, port) != exclude;
    }

    /** The entries that match a name (any port), to explain a selection. */
    public List<Entry> entriesMatching(String name) {
        List<Entry> matching = new ArrayList<>();
        for (Entry entry : entries) {
            if (matches(entry, name)) {
                matching.add(entry);
            }
        }
        return matching;
    }

    private boolean matchesAny(String name, int port) {
        if (entries.isEmpty()) {
            return true;
        }
        for (Entry entry : entries) {
            if (matches(entry, name) && (port < 0 || entry.port() < 0 || entry.port() == port)) {
                return true;
            }
        }
        return false;
    }

    private boolean matches(Entry entry, String name) {
        return exact ? name.equals(entry.prefix()) : name.startsWith(entry.prefix());
    }

    public String raw() {
        return raw;
    }

    public boolean exclude() {
        return exclude;
    }

    public boolean exact() {
        return exact;
    }

    public List<Entry> entries() {
        return entries;
    }

    /** Entries past NCCL's limit, which it drops. */
    public int ignored() {
        return ignored;
    }

    /** C atoi: leading digits, 0 when there are none ("mlx5_0::0:0" has an empty port field). */
    private static int atoi(String text) {
        int i = 0;
        long value = 0;
        boolean negative = false;
        if (i < text.length() && (text.charAt(i) == '-' || text.charAt(i) == '+')) {
            negative = text.charAt(i) == '-';
            i++;
        }
        while (i < text.length() && Character.isDigit(text.charAt(i)) && value < Integer.MAX_VALUE) {
            value = value * 10 + (text.charAt(i) - '0');
            i++;
        }
        return (int) (negative ? -value : value);
    }
}
