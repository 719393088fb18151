package dev.preflight.agent.security;

import dev.preflight.agent.hostfs.BoundedFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The NCCL settings a request (or a workload env file) may choose, each with the syntax NCCL
 * accepts. The agent runs as root: a request-chosen {@code NCCL_NET_PLUGIN} would load any library,
 * {@code NCCL_DEBUG_FILE} would write any file. So only {@code NCCL_*} tuning variables pass, their
 * values match a strict pattern (never a path), and anything else is refused with the key named.
 * Library paths and files come from the agent's own flags only.
 */
public final class NcclEnvAllowlist {
    public static final int MAX_VARIABLES = 64;
    public static final int MAX_VALUE_LENGTH = 256;
    /** An env file of 64 variables is a few kB; anything far larger is the wrong file. */
    static final int MAX_FILE_BYTES = 64 * 1024;

    private static final Rule INTEGER = new Rule("-?\\d{1,10}", "an integer");
    private static final Rule BOOLEAN = new Rule("[01]", "0 or 1");
    private static final Rule PCI_DISTANCE = new Rule("(?i)(LOC|NVL|PIX|PXB|PHB|SYS|\\d)",
            "LOC, NVL, PIX, PXB, PHB, SYS or a legacy 0-9");
    private static final String NAME = "[A-Za-z0-9_.-]{1,32}";
    private static final Rule INTERFACES = new Rule("\\^?=?" + NAME + "(,=?" + NAME + "){0,31}",
            "interface name prefixes, comma-separated, with an optional leading ^ or = (e.g. =eth0,eth1)");
    private static final Rule HCAS = new Rule("\\^?=?" + NAME + "(:\\d{1,3}){0,3}(,=?" + NAME + "(:\\d{1,3}){0,3}){0,31}",
            "HCA[:port] entries, comma-separated, with an optional leading ^ or = (e.g. =mlx5_0:1,mlx5_1:1)");
    private static final Rule ALGORITHMS = new Rule("[A-Za-z0-9^,;:]{1,128}",
            "names, comma-separated, with an optional ^ or the func:list;func:list form");

    /** A value's syntax, and how an error message says it. */
    private record Rule(Pattern pattern, String expected) {
        Rule(String regex, String expected) {
            this(Pattern.compile(regex), expected);
        }
    }

    /** Refused with the reason, so the error says why and not just "not allowed". */
    private static final Map<String, String> DANGEROUS = Map.ofEntries(
            Map.entry("NCCL_NET_PLUGIN", "loads a shared library"),
            Map.entry("NCCL_TUNER_PLUGIN", "loads a shared library"),
            Map.entry("NCCL_PROFILER_PLUGIN", "loads a shared library"),
            Map.entry("NCCL_ENV_PLUGIN", "loads a shared library"),
            Map.entry("NCCL_DEBUG_FILE", "writes a file"),
            Map.entry("NCCL_TOPO_DUMP_FILE", "writes a file"),
            Map.entry("NCCL_GRAPH_DUMP_FILE", "writes a file"),
            Map.entry("NCCL_TOPO_FILE", "reads a file"),
            Map.entry("NCCL_GRAPH_FILE", "reads a file"),
            Map.entry("NCCL_CONF_FILE", "reads a file"),
            Map.entry("NCCL_COMM_ID", "sets the bootstrap address the coordinator chooses"),
            Map.entry("NCCL_HOSTID", "overrides the host identity NCCL groups ranks by"));

    private static final Map<String, Rule> ALLOWED = allowed();

    private NcclEnvAllowlist() {}

    private static Map<String, Rule> allowed() {
        Map<String, Rule> rules = new LinkedHashMap<>();
        for (String name : new String[] {"NCCL_IB_GID_INDEX", "NCCL_IB_TC", "NCCL_IB_SL", "NCCL_IB_TIMEOUT",
                "NCCL_IB_RETRY_CNT", "NCCL_IB_QPS_PER_CONNECTION", "NCCL_IB_ROCE_VERSION_NUM", "NCCL_IB_AR_THRESHOLD",
                "NCCL_IB_ADAPTIVE_ROUTING", "NCCL_IB_SPLIT_DATA_ON_QPS", "NCCL_IB_PCI_RELAXED_ORDERING",
                "NCCL_IB_MERGE_NICS", "NCCL_MIN_NCHANNELS", "NCCL_MAX_NCHANNELS", "NCCL_MIN_CTAS", "NCCL_MAX_CTAS",
                "NCCL_NCHANNELS_PER_NET_PEER", "NCCL_BUFFSIZE", "NCCL_NTHREADS", "NCCL_SOCKET_NTHREADS",
                "NCCL_NSOCKS_PERTHREAD", "NCCL_CROSS_NIC", "NCCL_NET_GDR_READ", "NCCL_P2P_NET_CHUNKSIZE",
                "NCCL_P2P_NVL_CHUNKSIZE", "NCCL_P2P_PCI_CHUNKSIZE", "NCCL_CHECKS_DISABLE"}) {
            rules.put(name, INTEGER);
        }
        for (String name : new String[] {"NCCL_IB_DISABLE", "NCCL_P2P_DISABLE", "NCCL_SHM_DISABLE",
                "NCCL_NVLS_ENABLE", "NCCL_CUMEM_ENABLE", "NCCL_COLLNET_ENABLE", "NCCL_IGNORE_CPU_AFFINITY",
                "NCCL_IGNORE_DISABLED_P2P", "NCCL_NET_SHARED_BUFFERS", "NCCL_IB_USE_INLINE", "NCCL_COMM_BLOCKING",
                "NCCL_NVB_DISABLE", "NCCL_PXN_DISABLE", "NCCL_GRAPH_MIXING_SUPPORT", "NCCL_RUNTIME_CONNECT"}) {
            rules.put(name, BOOLEAN);
        }
        rules.put("NCCL_NET_GDR_LEVEL", PCI_DISTANCE);
        rules.put("NCCL_P2P_LEVEL", PCI_DISTANCE);
        rules.put("NCCL_SOCKET_IFNAME", INTERFACES);
        rules.put("NCCL_IB_HCA", HCAS);
        rules.put("NCCL_ALGO", ALGORITHMS);
        rules.put("NCCL_PROTO", ALGORITHMS);
        rules.put("NCCL_DEBUG", new Rule("(?i)(VERSION|WARN|INFO|TRACE)", "VERSION, WARN, INFO or TRACE"));
        rules.put("NCCL_DEBUG_SUBSYS", new Rule("\\^?[A-Za-z]{1,16}(,[A-Za-z]{1,16}){0,31}",
                "subsystem names, comma-separated, with an optional leading ^ (e.g. INIT,NET)"));
        rules.put("NCCL_SOCKET_FAMILY", new Rule("AF_INET6?", "AF_INET or AF_INET6"));
        rules.put("NCCL_IB_ADDR_FAMILY", new Rule("AF_INET6?", "AF_INET or AF_INET6"));
        rules.put("NCCL_IB_ADDR_RANGE", new Rule("[0-9A-Fa-f:.]{2,39}/\\d{1,3}", "an address range in CIDR form"));
        rules.put("NCCL_NET", new Rule("[A-Za-z0-9 _-]{1,32}", "a network name such as IB or Socket"));
        rules.put("NCCL_LAUNCH_MODE", new Rule("(?i)(PARALLEL|GROUP)", "PARALLEL or GROUP"));
        return Collections.unmodifiableMap(rules);
    }

    /** The variables that pass, for documentation and error messages. */
    public static java.util.Set<String> allowedNames() {
        return ALLOWED.keySet();
    }

    /**
     * Checks every variable; returns them in their order, unmodifiable.
     *
     * @param field the request field (or file) named in errors, e.g. {@code nccl_env}
     * @throws IllegalArgumentException naming the field, the key and what was expected
     */
    public static Map<String, String> validate(String field, Map<String, String> env) {
        if (env.size() > MAX_VARIABLES) {
            throw new IllegalArgumentException(field + ": " + env.size() + " variables, at most " + MAX_VARIABLES);
        }
        Map<String, String> valid = new LinkedHashMap<>();
        env.forEach((key, value) -> {
            check(field + "[" + printable(key) + "]", key, value);
            valid.put(key, value);
        });
        return Collections.unmodifiableMap(valid);
    }

    /**
     * Reads a workload env file, as {@code docker --env-file} and Kubernetes ConfigMaps hold them:
     * KEY=VALUE per line, {@code #} comments and blank lines ignored, no quoting.
     *
     * @throws IllegalArgumentException naming the file, the line and what was expected
     */
    public static Map<String, String> parseEnvFile(Path file) throws IOException {
        byte[] bytes = BoundedFile.readBytes(file, new BoundedFile.Limits(MAX_FILE_BYTES, BoundedFile.USER.maxTime()));
        Map<String, String> env = new LinkedHashMap<>();
        String[] lines = new String(bytes, StandardCharsets.UTF_8).split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + ":" + (i + 1);
            int equals = line.indexOf('=');
            if (equals <= 0) {
                throw new IllegalArgumentException(where + ": '" + printable(line) + "' is not KEY=VALUE");
            }
            String key = line.substring(0, equals).strip();
            String value = line.substring(equals + 1).strip();
            check(where + ": " + printable(key), key, value);
            if (env.put(key, value) != null) {
                throw new IllegalArgumentException(where + ": " + key + " is set twice");
            }
            if (env.size() > MAX_VARIABLES) {
                throw new IllegalArgumentException(where + ": more than " + MAX_VARIABLES + " variables");
            }
        }
        return Collections.unmodifiableMap(env);
    }

    private static void check(String where, String key, String value) {
        if (!key.startsWith("NCCL_")) {
            throw new IllegalArgumentException(where + ": only NCCL_* variables may be set here");
        }
        String danger = DANGEROUS.get(key);
        if (danger != null) {
            throw new IllegalArgumentException(where + ": refused, it " + danger
                    + " (libraries and files come from the agent's own flags only)");
        }
        Rule rule = ALLOWED.get(key);
        if (rule == null) {
            throw new IllegalArgumentException(where + ": not on the allowlist of NCCL settings a request may choose");
        }
        if (value.length() > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException(where + ": a value of " + value.length() + " characters, at most "
                    + MAX_VALUE_LENGTH);
        }
        if (!rule.pattern().matcher(value).matches()) {
            throw new IllegalArgumentException(where + ": '" + printable(value) + "' is not " + rule.expected());
        }
    }

    /** Request strings go into error messages: cap them and show control characters escaped. */
    static String printable(String text) {
        String capped = text.length() > 64 ? text.substring(0, 64) + "…" : text;
        StringBuilder out = new StringBuilder();
        for (char c : capped.toCharArray()) {
            if (c < ' ' || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
