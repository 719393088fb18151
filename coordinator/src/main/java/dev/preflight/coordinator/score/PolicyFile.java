package dev.preflight.coordinator.score;

import dev.preflight.agent.hostfs.IoErrors;
import dev.preflight.agent.hostfs.BoundedFile;
import dev.preflight.coordinator.score.Policy.InterconnectPolicy;
import dev.preflight.coordinator.score.Policy.IntraNodeBand;
import dev.preflight.coordinator.score.Policy.Limit;
import dev.preflight.coordinator.score.Policy.OutlierSettings;
import dev.preflight.proto.text.TerminalText;
import dev.preflight.proto.units.Numbers;
import dev.preflight.proto.v1.Interconnect.Tier;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * A policy YAML file: any subset of the keys {@code preflight policy show} prints, laid over the
 * built-in defaults. Unknown keys and values without their unit are errors naming the key.
 */
public final class PolicyFile {
    private static final Set<String> SECTIONS = Set.of("interconnect", "statistic", "intraNode", "limits", "outliers",
            "diff", "plan", "tokenBudget", "collectives", "latency");

    /** Bandwidth thresholds: a byte a second to a petabyte a second is every link there is. */
    static final double MIN_BANDWIDTH = 1;
    static final double MAX_BANDWIDTH = 1e15;
    /** The statistic's message sizes: nccl-tests sweeps stop at a few GiB; a TiB is beyond any. */
    static final long MAX_MESSAGE_BYTES = 1L << 40;
    /** GPUs in one node: 8 today, 72 in an NVL72 domain; 1024 is beyond any. */
    static final long MAX_GPUS_PER_NODE = 1024;
    /** Nodes in a fleet: beyond the largest clusters built. */
    static final long MAX_NODES = 1_000_000;
    static final double MIN_MAD_Z = 1;
    static final double MAX_MAD_Z = 100;

    private final String file;

    private PolicyFile(String file) {
        this.file = file;
    }

    public static Policy load(Path path) throws PolicyException {
        String text;
        try {
            text = BoundedFile.readText(path, BoundedFile.USER);
        } catch (IOException e) {
            throw new PolicyException("cannot read " + IoErrors.describe(e));
        }
        return parse(path.toString(), text);
    }

    /** @param file the name errors cite */
    public static Policy parse(String file, String yaml) throws PolicyException {
        Object document;
        try {
            document = new Load(LoadSettings.builder().setAllowDuplicateKeys(false).build()).loadFromString(yaml);
        } catch (YamlEngineException e) {
            throw new PolicyException(file + ": not valid YAML: " + TerminalText.excerpt(oneLine(e.getMessage())));
        }
        if (document == null) {
            return Policy.defaults().withSource(file);
        }
        PolicyFile reader = new PolicyFile(file);
        try {
            return reader.apply(reader.map("", document), Policy.defaults()).withSource(file);
        } catch (IllegalArgumentException e) {
            throw new PolicyException(e.getMessage());
        }
    }

    private Policy apply(Map<String, Object> root, Policy base) {
        known("", root, SECTIONS);
        InterconnectPolicy interconnect = base.interconnect();
        if (root.containsKey("interconnect")) {
            interconnect = interconnect(map("interconnect", root.get("interconnect")), interconnect);
        }
        long largeMin = base.largeMessageMinBytes();
        if (root.containsKey("statistic")) {
            Map<String, Object> statistic = map("statistic", root.get("statistic"));
            known("statistic", statistic, Set.of("largeMessageMin"));
            if (statistic.containsKey("largeMessageMin")) {
                largeMin = size("statistic.largeMessageMin", statistic.get("largeMessageMin"));
            }
        }
        List<IntraNodeBand> bands = base.intraNode();
        if (root.containsKey("intraNode")) {
            bands = bands(root.get("intraNode"), bands);
        }
        Map<String, Limit> limits = base.limits();
        if (root.containsKey("limits")) {
            limits = limits(map("limits", root.get("limits")), limits);
        }
        OutlierSettings outliers = base.outliers();
        if (root.containsKey("outliers")) {
            outliers = outliers(map("outliers", root.get("outliers")), outliers);
        }
        double regression = base.regressionPercent();
        if (root.containsKey("diff")) {
            Map<String, Object> diff = map("diff", root.get("diff"));
            known("diff", diff, Set.of("regression"));
            if (diff.containsKey("regression")) {
                regression = fraction("diff.regression", diff.get("regression")) * 100;
            }
        }
        double headroom = base.headroomFraction();
        if (root.containsKey("plan")) {
            Map<String, Object> plan = map("plan", root.get("plan"));
            known("plan", plan, Set.of("headroom"));
            if (plan.containsKey("headroom")) {
                headroom = fraction("plan.headroom", plan.get("headroom"));
                if (headroom >= 1) {
                    throw error("plan.headroom", plan.get("headroom"), "a percentage below 100%");
                }
            }
        }
        Policy.CollectiveFloors collectives = base.collectives();
        if (root.containsKey("collectives")) {
            Map<String, Object> section = map("collectives", root.get("collectives"));
            known("collectives", section, Set.of("allReduceFloor", "allGatherFloor", "reduceScatterFloor", "alltoallFloor",
                    "sendrecvFloor"));
            collectives = new Policy.CollectiveFloors(
                    share(section, "allReduceFloor", collectives.allReduce()),
                    share(section, "allGatherFloor", collectives.allGather()),
                    share(section, "reduceScatterFloor", collectives.reduceScatter()),
                    share(section, "alltoallFloor", collectives.alltoall()),
                    share(section, "sendrecvFloor", collectives.sendrecv()));
        }
        Policy.LatencyLimits latency = base.latency();
        if (root.containsKey("latency")) {
            Map<String, Object> section = map("latency", root.get("latency"));
            known("latency", section, Set.of("tpAllReduceWarnAbove", "tpAllReduceFailAbove", "ppSendRecvWarnAbove",
                    "ppSendRecvFailAbove"));
            latency = new Policy.LatencyLimits(
                    duration(section, "tpAllReduceWarnAbove", latency.tpAllReduceWarnAbove()),
                    duration(section, "tpAllReduceFailAbove", latency.tpAllReduceFailAbove()),
                    duration(section, "ppSendRecvWarnAbove", latency.ppSendRecvWarnAbove()),
                    duration(section, "ppSendRecvFailAbove", latency.ppSendRecvFailAbove()));
            if (latency.tpAllReduceWarnAbove() > latency.tpAllReduceFailAbove()) {
                throw error("latency.tpAllReduceWarnAbove", section.get("tpAllReduceWarnAbove"),
                        "a time no higher than tpAllReduceFailAbove");
            }
            if (latency.ppSendRecvWarnAbove() > latency.ppSendRecvFailAbove()) {
                throw error("latency.ppSendRecvWarnAbove", section.get("ppSendRecvWarnAbove"),
                        "a time no higher than ppSendRecvFailAbove");
            }
        }
        Policy.TokenBudget budget = root.containsKey("tokenBudget")
                ? tokenBudget(map("tokenBudget", root.get("tokenBudget")), base.tokenBudget()) : base.tokenBudget();
        return new Policy(base.source(), interconnect, largeMin, bands, limits, outliers, regression, headroom,
                collectives, latency, budget);
    }

    private double share(Map<String, Object> section, String key, double fallback) {
        if (!section.containsKey(key)) {
            return fallback;
        }
        double value = fraction("collectives." + key, section.get(key));
        if (value <= 0 || value > 1) {
            throw error("collectives." + key, section.get(key), "a percentage in (0%, 100%]");
        }
        return value;
    }

    /** A time with its unit: 50us, 0.5ms, 1s. */
    private double duration(Map<String, Object> section, String key, double fallback) {
        if (!section.containsKey(key)) {
            return fallback;
        }
        Object value = section.get(key);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(us|ms|s)")
                .matcher(String.valueOf(value).strip());
        if (!m.matches() || Double.parseDouble(m.group(1)) <= 0) {
            throw error("latency." + key, value, "a positive time with a unit, e.g. 50us, 0.5ms");
        }
        // divided, not multiplied by 1e-6: 30us must read back as the same double as 30e-6
        double divisor = m.group(2).equals("us") ? 1e6 : m.group(2).equals("ms") ? 1e3 : 1;
        return Double.parseDouble(m.group(1)) / divisor;
    }

    private Policy.TokenBudget tokenBudget(Map<String, Object> section, Policy.TokenBudget base) {
        known("tokenBudget", section, Set.of("interTokenLatency", "communicationShare"));
        double latency = base.interTokenLatencySeconds();
        if (section.containsKey("interTokenLatency")) {
            Object value = section.get("interTokenLatency");
            String text = String.valueOf(value).strip();
            if (!text.matches("[0-9]+(\\.[0-9]+)?\\s*ms") || Double.parseDouble(text.replace("ms", "").strip()) <= 0) {
                throw error("tokenBudget.interTokenLatency", value, "a positive time in milliseconds, e.g. 50ms");
            }
            latency = Double.parseDouble(text.replace("ms", "").strip()) / 1000;
        }
        double share = base.communicationShare();
        if (section.containsKey("communicationShare")) {
            share = fraction("tokenBudget.communicationShare", section.get("communicationShare"));
            if (share <= 0 || share > 1) {
                throw error("tokenBudget.communicationShare", section.get("communicationShare"), "a percentage in (0%, 100%]");
            }
        }
        return new Policy.TokenBudget(latency, share);
    }

    private InterconnectPolicy interconnect(Map<String, Object> section, InterconnectPolicy base) {
        known("interconnect", section, Set.of("tooSlowFrom", "smallModelsOnlyFrom", "productionViableFrom",
                "recommendedFrom", "optimalFrom", "efficiencyFloor", "passFrom", "warnFrom"));
        Tiers t = base.tiers();
        Tiers tiers;
        try {
            tiers = new Tiers(
                    bandwidth(section, "interconnect", "tooSlowFrom", t.tooSlowFrom()),
                    bandwidth(section, "interconnect", "smallModelsOnlyFrom", t.smallModelsOnlyFrom()),
                    bandwidth(section, "interconnect", "productionViableFrom", t.productionViableFrom()),
                    bandwidth(section, "interconnect", "recommendedFrom", t.recommendedFrom()),
                    bandwidth(section, "interconnect", "optimalFrom", t.optimalFrom()));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith(file)) {
                throw e;
            }
            throw new IllegalArgumentException(file + ": interconnect: " + e.getMessage());
        }
        double floor = base.efficiencyFloor();
        if (section.containsKey("efficiencyFloor")) {
            floor = fraction("interconnect.efficiencyFloor", section.get("efficiencyFloor"));
            if (floor <= 0 || floor > 1) {
                throw error("interconnect.efficiencyFloor", section.get("efficiencyFloor"), "a percentage in (0%, 100%]");
            }
        }
        Tier pass = section.containsKey("passFrom") ? tier("interconnect.passFrom", section.get("passFrom")) : base.passFrom();
        Tier warn = section.containsKey("warnFrom") ? tier("interconnect.warnFrom", section.get("warnFrom")) : base.warnFrom();
        if (warn.getNumber() > pass.getNumber()) {
            throw error("interconnect.warnFrom", section.containsKey("warnFrom") ? section.get("warnFrom") : Policy.tierKey(warn),
                    "a tier no higher than passFrom (" + Policy.tierKey(pass) + ")");
        }
        return new InterconnectPolicy(tiers, floor, pass, warn);
    }

    private List<IntraNodeBand> bands(Object value, List<IntraNodeBand> base) {
        if (!(value instanceof List)) {
            throw error("intraNode", value, "a list of {part, interconnect, gpus, passFrom, failBelow, typical}");
        }
        List<IntraNodeBand> result = new ArrayList<>(base);
        List<?> entries = (List<?>) value;
        for (int i = 0; i < entries.size(); i++) {
            String key = "intraNode[" + i + "]";
            Map<String, Object> entry = map(key, entries.get(i));
            known(key, entry, Set.of("part", "interconnect", "gpus", "passFrom", "failBelow", "typical"));
            if (!entry.containsKey("part")) {
                throw new IllegalArgumentException(file + ": " + key + ": needs part (the exact NVML product name)");
            }
            String part = String.valueOf(entry.get("part")).strip();
            int existing = -1;
            for (int j = 0; j < result.size(); j++) {
                if (result.get(j).part().equalsIgnoreCase(part)) {
                    existing = j;
                }
            }
            IntraNodeBand old = existing >= 0 ? result.get(existing) : null;
            if (old == null && !(entry.containsKey("passFrom") && entry.containsKey("failBelow") && entry.containsKey("gpus"))) {
                throw new IllegalArgumentException(file + ": " + key + ": a new band needs gpus, passFrom and failBelow");
            }
            int gpus = entry.containsKey("gpus") ? (int) count(key + ".gpus", entry.get("gpus"), 1, MAX_GPUS_PER_NODE) : old.gpus();
            String interconnect = entry.containsKey("interconnect") ? String.valueOf(entry.get("interconnect")).strip()
                    : old == null ? "" : old.interconnect();
            double pass = bandwidth(entry, key, "passFrom", old == null ? 0 : old.passFrom());
            double fail = bandwidth(entry, key, "failBelow", old == null ? 0 : old.failBelow());
            double typical = bandwidth(entry, key, "typical", old == null ? pass : old.typical());
            if (fail > pass) {
                throw error(key + ".failBelow", entry.get("failBelow"), "a bandwidth no higher than passFrom");
            }
            IntraNodeBand band = new IntraNodeBand(part, interconnect, gpus, pass, fail, typical);
            if (existing >= 0) {
                result.set(existing, band);
            } else {
                // a file's own bands are more specific than the built-in ones: they match first
                result.add(0, band);
            }
        }
        return result;
    }

    private Map<String, Limit> limits(Map<String, Object> section, Map<String, Limit> base) {
        known("limits", section, base.keySet());
        Map<String, Limit> result = new LinkedHashMap<>(base);
        for (Map.Entry<String, Object> entry : section.entrySet()) {
            String key = "limits." + entry.getKey();
            Limit old = base.get(entry.getKey());
            Map<String, Object> bounds = map(key, entry.getValue());
            known(key, bounds, Set.of("warnBelow", "failBelow", "warnAbove", "failAbove"));
            result.put(entry.getKey(), new Limit(old.measurement(), old.quantity(),
                    bound(key, bounds, "warnBelow", old.warnBelow(), old.quantity()),
                    bound(key, bounds, "failBelow", old.failBelow(), old.quantity()),
                    bound(key, bounds, "warnAbove", old.warnAbove(), old.quantity()),
                    bound(key, bounds, "failAbove", old.failAbove(), old.quantity())));
        }
        return result;
    }

    private Double bound(String key, Map<String, Object> bounds, String name, Double old, Policy.Quantity quantity) {
        if (!bounds.containsKey(name)) {
            return old;
        }
        Object value = bounds.get(name);
        if (value == null || "off".equals(value) || Boolean.FALSE.equals(value)) {
            return null;
        }
        try {
            return quantity.parse(value, key + "." + name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage() + " (or off)");
        }
    }

    private OutlierSettings outliers(Map<String, Object> section, OutlierSettings base) {
        known("outliers", section, Set.of("enabled", "madZ", "relativeFloor", "minFleet"));
        boolean enabled = base.enabled();
        if (section.containsKey("enabled")) {
            Object value = section.get("enabled");
            if (!(value instanceof Boolean)) {
                throw error("outliers.enabled", value, "true or false");
            }
            enabled = (Boolean) value;
        }
        double madZ = base.madZ();
        if (section.containsKey("madZ")) {
            Object value = section.get("madZ");
            if (!(value instanceof Number)) {
                throw error("outliers.madZ", value, "a number of scaled MADs, e.g. 3.5");
            }
            // YAML's .nan and .inf are numbers too; below 1 MAD every node is an outlier
            madZ = checked(() -> Numbers.finite(((Number) value).doubleValue(), "outliers.madZ", MIN_MAD_Z, MAX_MAD_Z));
        }
        double floor = section.containsKey("relativeFloor")
                ? fraction("outliers.relativeFloor", section.get("relativeFloor")) : base.relativeFloor();
        // a median of two says nothing
        int minFleet = section.containsKey("minFleet")
                ? (int) count("outliers.minFleet", section.get("minFleet"), 3, MAX_NODES) : base.minFleet();
        return new OutlierSettings(enabled, madZ, floor, minFleet);
    }

    private double bandwidth(Map<String, Object> section, String where, String key, double fallback) {
        if (!section.containsKey(key)) {
            return fallback;
        }
        Object value = section.get(key);
        return checked(() -> Numbers.rate(String.valueOf(value), where + "." + key, MIN_BANDWIDTH, MAX_BANDWIDTH));
    }

    private long size(String key, Object value) {
        return checked(() -> Numbers.size(String.valueOf(value), key, 1, MAX_MESSAGE_BYTES));
    }

    private double fraction(String key, Object value) {
        String text = String.valueOf(value).strip();
        if (!text.matches("[0-9]+(\\.[0-9]+)?\\s*%")) {
            throw error(key, value, "a percentage, e.g. 80%");
        }
        return Double.parseDouble(text.substring(0, text.length() - 1).strip()) / 100;
    }

    /** A whole number in [min, max]; YAML gives BigInteger past a long, so the text is what is checked. */
    private long count(String key, Object value, long min, long max) {
        if (!(value instanceof Integer || value instanceof Long || value instanceof BigInteger)) {
            throw error(key, value, "a whole number from " + min + " to " + max);
        }
        return checked(() -> Numbers.count(String.valueOf(value), key, min, max));
    }

    /** A number parsed by {@link Numbers}, its error prefixed with the file's name. */
    private <T> T checked(Supplier<T> parse) {
        try {
            return parse.get();
        } catch (Numbers.NumberException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    private Tier tier(String key, Object value) {
        try {
            return Tiers.parse(String.valueOf(value));
        } catch (IllegalArgumentException e) {
            throw error(key, value, "a tier: unusable, too_slow, small_models_only, production_viable, recommended, optimal");
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> map(String key, Object value) {
        if (!(value instanceof Map)) {
            throw error(key.isEmpty() ? "(top level)" : key, value, "a mapping of keys to values");
        }
        Map<String, Object> result = new LinkedHashMap<>();
        for (Map.Entry<Object, Object> entry : ((Map<Object, Object>) value).entrySet()) {
            result.put(String.valueOf(entry.getKey()), entry.getValue());
        }
        return result;
    }

    private void known(String section, Map<String, Object> map, Set<String> keys) {
        for (String key : map.keySet()) {
            if (!keys.contains(key)) {
                String path = section.isEmpty() ? key : section + "." + key;
                throw new IllegalArgumentException(file + ": unknown key " + TerminalText.excerpt(path) + " (known"
                        + (section.isEmpty() ? "" : " under " + section) + ": " + String.join(", ", new java.util.TreeSet<>(keys)) + ")");
            }
        }
    }

    private IllegalArgumentException error(String key, Object value, String expected) {
        return new IllegalArgumentException(file + ": " + key + ": '" + TerminalText.excerpt(String.valueOf(value))
                + "' is not " + expected);
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*\\n\\s*", " ").strip();
    }
}
