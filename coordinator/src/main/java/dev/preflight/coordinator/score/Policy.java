package dev.preflight.coordinator.score;

import dev.preflight.agent.check.host.ShmCheck;
import dev.preflight.coordinator.outliers.Outliers;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.units.Numbers;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Interconnect.Tier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Every threshold the verdict depends on, in one place. {@link #defaults()} is built in; a YAML
 * file ({@link PolicyFile}) overrides any part of it, and {@link #toYaml()} prints the effective
 * policy in the same form the file takes.
 */
public record Policy(
        String source,
        InterconnectPolicy interconnect,
        long largeMessageMinBytes,
        List<IntraNodeBand> intraNode,
        Map<String, Limit> limits,
        OutlierSettings outliers,
        double regressionPercent,
        double headroomFraction,
        CollectiveFloors collectives,
        LatencyLimits latency,
        TokenBudget tokenBudget) {

    public Policy {
        intraNode = List.copyOf(intraNode);
        limits = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(limits));
    }

    /** The article's classes per link, applied with the measurement backing the negotiated rate. */
    public record InterconnectPolicy(Tiers tiers, double efficiencyFloor, Tier passFrom, Tier warnFrom) {
        public Status status(Tier tier) {
            return tier.getNumber() >= passFrom.getNumber() ? Status.PASS
                    : tier.getNumber() >= warnFrom.getNumber() ? Status.WARN
                    : Status.FAIL;
        }
    }

    /**
     * Expected intra-node all-reduce bus bandwidth for a GPU part, matched exactly (case-insensitive)
     * against the NVML product name: "NVIDIA H200 NVL" (PCIe cards with NVLink bridges) is not
     * "NVIDIA H200" (SXM on NVSwitch). It applies to communicators of 2 to {@code gpus} GPUs of one
     * node: with NVSwitch (or a PCIe switch) every GPU has its full bandwidth whatever the count.
     *
     * @param interconnect how the GPUs are joined, as the reports print it ("SXM/NVSwitch", "PCIe")
     */
    public record IntraNodeBand(String part, String interconnect, int gpus, double passFrom, double failBelow,
            double typical) {
        public boolean matches(String gpuModel, int ranks) {
            return ranks >= 2 && ranks <= gpus && gpuModel.strip().equalsIgnoreCase(part);
        }

        public Status status(double busbw) {
            return busbw >= passFrom ? Status.PASS : busbw >= failBelow ? Status.WARN : Status.FAIL;
        }

        public String describe() {
            return "PASS from " + Bandwidths.format(passFrom) + ", FAIL below " + Bandwidths.format(failBelow)
                    + " (" + part + ", " + interconnect + ", up to " + gpus + " GPUs, typical " + Bandwidths.format(typical) + ")";
        }
    }

    /**
     * The all-node collectives' floors: each op's share of the ceiling its traffic pattern allows
     * over the measured rails. Ring all-reduce, all-gather and reduce-scatter move every byte
     * through every node's NICs, so their bus bandwidth can reach the node's rails together; an
     * alltoall sends each GPU's share through its own rail (the ceiling is one rail, scaled by the
     * share of peers that are off the node); a send/recv ring crosses each node boundary on one
     * GPU's rail.
     */
    public record CollectiveFloors(double allReduce, double allGather, double reduceScatter, double alltoall,
            double sendrecv) {
        public static final List<String> OPS = List.of("all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv");

        /** The share of the ceiling an op must reach; empty for an op with no floor. */
        public OptionalDouble share(String op) {
            switch (op) {
                case "all_reduce":
                    return OptionalDouble.of(allReduce);
                case "all_gather":
                    return OptionalDouble.of(allGather);
                case "reduce_scatter":
                    return OptionalDouble.of(reduceScatter);
                case "alltoall":
                case "all_to_all":
                    return OptionalDouble.of(alltoall);
                case "sendrecv":
                case "send_recv":
                    return OptionalDouble.of(sendrecv);
                default:
                    return OptionalDouble.empty();
            }
        }
    }

    /**
     * Decode-step latency, on the p99: the TP all-reduce inside a node (launched from CUDA graphs
     * as engines do) and the PP stage send/recv across nodes. Seconds.
     */
    public record LatencyLimits(double tpAllReduceWarnAbove, double tpAllReduceFailAbove, double ppSendRecvWarnAbove,
            double ppSendRecvFailAbove) {
        public Status tpAllReduce(double seconds) {
            return seconds > tpAllReduceFailAbove ? Status.FAIL : seconds > tpAllReduceWarnAbove ? Status.WARN : Status.PASS;
        }

        public Status ppSendRecv(double seconds) {
            return seconds > ppSendRecvFailAbove ? Status.FAIL : seconds > ppSendRecvWarnAbove ? Status.WARN : Status.PASS;
        }
    }

    /** What a limit's values are, so a file cannot give a bandwidth where a size belongs. */
    public enum Quantity {
        BYTES("bytes", "a size with a unit, e.g. 16GiB"),
        BANDWIDTH("B/s", "a bandwidth with a unit, e.g. 25GB/s"),
        COUNT("count", "a whole number"),
        CELSIUS("celsius", "degrees Celsius, a number");

        /** An exbibyte: no memory, disk or file a limit speaks of comes near it. */
        static final long MAX_BYTES = 1L << 60;
        /** A petabyte a second, beyond any link or bus. */
        static final double MAX_BANDWIDTH = 1e15;
        /** Counts of files, errors, events: 10^15 is beyond any counter a node reports. */
        static final long MAX_COUNT = 1_000_000_000_000_000L;
        static final double ABSOLUTE_ZERO_CELSIUS = -273.15;
        /** Silicon does not survive well below this. */
        static final double MAX_CELSIUS = 1000;

        final String unit;
        final String expected;

        Quantity(String unit, String expected) {
            this.unit = unit;
            this.expected = expected;
        }

        /** The value in this quantity's unit, within the range a real limit can take. */
        double parse(Object value, String key) {
            String text = String.valueOf(value).strip();
            switch (this) {
                case BYTES:
                    return Numbers.size(text, key, 0, MAX_BYTES);
                case BANDWIDTH:
                    return Numbers.rate(text, key, 0, MAX_BANDWIDTH);
                case COUNT:
                    return Numbers.count(text, key, 0, MAX_COUNT);
                default:
                    return Numbers.decimal(text, key, ABSOLUTE_ZERO_CELSIUS, MAX_CELSIUS);
            }
        }

        String format(double value) {
            switch (this) {
                case BYTES:
                    return Policy.size((long) value);
                case BANDWIDTH:
                    return Policy.bw(value);
                case COUNT:
                    return Long.toString((long) value);
                default:
                    return Policy.number(value);
            }
        }
    }

    /**
     * Limits on a measurement a node check reports (by its name): host-check and GPU-health limits.
     * A null bound is not applied.
     */
    public record Limit(String measurement, Quantity quantity, Double warnBelow, Double failBelow, Double warnAbove,
            Double failAbove) {
        public Status status(double value) {
            if ((failBelow != null && value < failBelow) || (failAbove != null && value > failAbove)) {
                return Status.FAIL;
            }
            if ((warnBelow != null && value < warnBelow) || (warnAbove != null && value > warnAbove)) {
                return Status.WARN;
            }
            return Status.PASS;
        }

        public String describe() {
            List<String> parts = new ArrayList<>();
            if (failBelow != null) {
                parts.add("FAIL below " + quantity.format(failBelow));
            }
            if (warnBelow != null) {
                parts.add("WARN below " + quantity.format(warnBelow));
            }
            if (warnAbove != null) {
                parts.add("WARN above " + quantity.format(warnAbove));
            }
            if (failAbove != null) {
                parts.add("FAIL above " + quantity.format(failAbove));
            }
            return measurement + ": " + String.join(", ", parts);
        }
    }

    /**
     * Robust outliers: a value further below the fleet's median than {@code madZ} scaled MADs and
     * than {@code relativeFloor} of the median, judged once at least {@code minFleet} values exist.
     */
    public record OutlierSettings(boolean enabled, double madZ, double relativeFloor, int minFleet) {
        /** The rule every phase and the scorer apply. */
        public Outliers.Settings rule() {
            return new Outliers.Settings(madZ, relativeFloor, minFleet);
        }
    }

    /**
     * What a model plan's communication may cost: a share of the inter-token latency the service
     * targets. The run measures the plan's collectives and judges one decode step against it.
     */
    public record TokenBudget(double interTokenLatencySeconds, double communicationShare) {
        /** The communication time one decode step may take. */
        public double communicationSeconds() {
            return interTokenLatencySeconds * communicationShare;
        }

        public String describe() {
            return number(communicationShare * 100) + "% of a " + number(interTokenLatencySeconds * 1000)
                    + " ms inter-token latency";
        }
    }

    public static Policy defaults() {
        Map<String, Limit> limits = new LinkedHashMap<>();
        // The node checks' own thresholds, so a policy file can move them.
        add(limits, new Limit("shm_size_bytes", Quantity.BYTES, (double) ShmCheck.WARN_BELOW_BYTES,
                (double) ShmCheck.FAIL_BELOW_BYTES, null, null));
        add(limits, new Limit("shm_free_bytes", Quantity.BYTES, (double) ShmCheck.FAIL_BELOW_BYTES, null, null, null));
        // GPU health: GCM and SuperBench fail on any uncorrected ECC error and warn from 85 C; a
        // pending or failed row remap needs a GPU reset or RMA before the GPU is trusted.
        add(limits, new Limit("gpu_temperature_celsius", Quantity.CELSIUS, null, null, 85.0, null));
        add(limits, new Limit("ecc_uncorrectable_errors", Quantity.COUNT, null, null, null, 0.0));
        add(limits, new Limit("remapped_rows_pending", Quantity.COUNT, null, null, null, 0.0));
        add(limits, new Limit("remapped_rows_failed", Quantity.COUNT, null, null, null, 0.0));
        // Port counters rising under traffic name a bad cable (GCM's critical level is 100).
        add(limits, new Limit("symbol_error_increase", Quantity.COUNT, null, null, 0.0, 100.0));
        add(limits, new Limit("link_downed_increase", Quantity.COUNT, null, null, null, 0.0));
        return new Policy(
                "built-in defaults",
                new InterconnectPolicy(Tiers.ARTICLE, 0.80, Tier.PRODUCTION_VIABLE, Tier.SMALL_MODELS_ONLY),
                256 * ByteSizes.MIB,
                bands(),
                limits,
                new OutlierSettings(true, Outliers.Settings.DEFAULT.sigmas(), Outliers.Settings.DEFAULT.relativeFloor(),
                        Outliers.Settings.DEFAULT.minFleet()),
                5.0,
                0.10,
                // shares of each op's ceiling over the measured rails (docs/verdicts.md derives them)
                new CollectiveFloors(0.60, 0.60, 0.60, 0.50, 0.60),
                // the seed's latency column: RDMA links add ~1 us and NCCL's own steps a few more, so a
                // decode-size op above 50 us p99 runs on something slower (sockets: 25 GbE is ~10 us per
                // hop), above 500 us on the 1 GbE class the seed calls unusable. Inside a node NVLink
                // adds no hop; 30 us and 200 us leave CUDA-graph launch jitter room.
                new LatencyLimits(30e-6, 200e-6, 50e-6, 500e-6),
                // 50 ms between tokens (20 tokens/s per sequence) is an interactive serving target;
                // communication beyond a fifth of it leaves the GPUs' compute too little of the step
                new TokenBudget(0.050, 0.20));
    }

    /**
     * The built-in intra-node bands (docs/verdicts.md cites the figures). NVSwitch parts: ring
     * all-reduce bus bandwidth reaches about 80% of a GPU's one-way NVLink bandwidth (H100 SXM:
     * 370 of 450 GB/s in nccl-tests #212/#290; NVLS lifts it to ~480), so PASS from ~80% and FAIL
     * below ~60%, where an NVLink or NVSwitch path is missing. PCIe parts: the ring crosses PCIe,
     * one-way 63 GB/s (Gen5 x16) or 31.5 GB/s (Gen4 x16), with the same shares of it.
     */
    static List<IntraNodeBand> bands() {
        List<IntraNodeBand> bands = new ArrayList<>();
        String sxm = "SXM/NVSwitch";
        // NVLink 4, 18 links, 900 GB/s both ways
        for (String part : List.of("NVIDIA H100 80GB HBM3", "NVIDIA H100 SXM5 80GB", "NVIDIA H100 SXM5 94GB",
                "NVIDIA H200", "NVIDIA H200 141GB HBM3e", "NVIDIA H20")) {
            bands.add(new IntraNodeBand(part, sxm, 8, 370e9, 280e9, 480e9));
        }
        // NVLink 4 cut to 8 links, 400 GB/s both ways
        bands.add(new IntraNodeBand("NVIDIA H800", sxm, 8, 160e9, 120e9, 200e9));
        bands.add(new IntraNodeBand("NVIDIA H800 80GB HBM3", sxm, 8, 160e9, 120e9, 200e9));
        // NVLink 3, 600 GB/s both ways: 235 GB/s in SuperBench's 8-GPU capture
        for (String part : List.of("NVIDIA A100-SXM4-40GB", "NVIDIA A100-SXM4-80GB")) {
            bands.add(new IntraNodeBand(part, sxm, 8, 200e9, 150e9, 235e9));
        }
        // NVLink 5, 1.8 TB/s both ways; GB200 trays hold 4 GPUs of an NVL72 domain
        bands.add(new IntraNodeBand("NVIDIA B200", sxm, 8, 740e9, 560e9, 900e9));
        bands.add(new IntraNodeBand("NVIDIA GB200", sxm, 4, 740e9, 560e9, 900e9));
        String gen5 = "PCIe Gen5 (NVLink bridge pairs)";
        for (String part : List.of("NVIDIA H100 PCIe", "NVIDIA H100 NVL", "NVIDIA H200 NVL", "NVIDIA H800 PCIe")) {
            bands.add(new IntraNodeBand(part, gen5, 8, 50e9, 38e9, 63e9));
        }
        for (String part : List.of("NVIDIA A100-PCIE-40GB", "NVIDIA A100 80GB PCIe")) {
            bands.add(new IntraNodeBand(part, "PCIe Gen4 (NVLink bridge pairs)", 8, 25e9, 19e9, 31.5e9));
        }
        return bands;
    }

    private static void add(Map<String, Limit> limits, Limit limit) {
        limits.put(limit.measurement(), limit);
    }

    public Optional<IntraNodeBand> band(String gpuModel, int ranks) {
        return intraNode.stream().filter(b -> b.matches(gpuModel, ranks)).findFirst();
    }

    Policy withSource(String newSource) {
        return new Policy(newSource, interconnect, largeMessageMinBytes, intraNode, limits, outliers,
                regressionPercent, headroomFraction, collectives, latency, tokenBudget);
    }

    /** The policy as a file {@link PolicyFile} reads back to the same policy. */
    public String toYaml() {
        Tiers tiers = interconnect.tiers();
        StringBuilder out = new StringBuilder();
        out.append("# preflight policy (").append(source).append(")\n");
        out.append("# Bandwidths need a unit: GB/s = 10^9 bytes/s, Gb/s = 10^9 bits/s; sizes: GB = 10^9 bytes, GiB = 2^30 bytes.\n");
        out.append("interconnect:\n");
        out.append("  # a link's class starts at each bound (GB/s per link); below tooSlowFrom it is unusable\n");
        out.append("  tooSlowFrom: ").append(bw(tiers.tooSlowFrom())).append('\n');
        out.append("  smallModelsOnlyFrom: ").append(bw(tiers.smallModelsOnlyFrom())).append('\n');
        out.append("  productionViableFrom: ").append(bw(tiers.productionViableFrom())).append('\n');
        out.append("  recommendedFrom: ").append(bw(tiers.recommendedFrom())).append('\n');
        out.append("  optimalFrom: ").append(bw(tiers.optimalFrom())).append('\n');
        out.append("  # a rail's measured bus bandwidth must reach this share of its negotiated rate\n");
        out.append("  efficiencyFloor: ").append(percent(interconnect.efficiencyFloor())).append('\n');
        out.append("  passFrom: ").append(tierKey(interconnect.passFrom())).append('\n');
        out.append("  warnFrom: ").append(tierKey(interconnect.warnFrom())).append('\n');
        out.append("statistic:\n");
        out.append("  # bus bandwidth is the best over message sizes at least this large (never nccl-tests' average)\n");
        out.append("  largeMessageMin: ").append(size(largeMessageMinBytes)).append('\n');
        out.append("intraNode:\n");
        out.append("  # all-reduce bus bandwidth inside one node, by GPU part (the exact NVML product name), for 2 to gpus GPUs\n");
        for (IntraNodeBand band : intraNode) {
            out.append("  - part: \"").append(band.part()).append("\"\n");
            out.append("    interconnect: \"").append(band.interconnect()).append("\"\n");
            out.append("    gpus: ").append(band.gpus()).append('\n');
            out.append("    passFrom: ").append(bw(band.passFrom())).append('\n');
            out.append("    failBelow: ").append(bw(band.failBelow())).append('\n');
            out.append("    typical: ").append(bw(band.typical())).append('\n');
        }
        out.append("limits:\n");
        out.append("  # on measurements the node checks report, by name\n");
        for (Limit limit : limits.values()) {
            out.append("  ").append(limit.measurement()).append(":\n");
            bound(out, "warnBelow", limit.warnBelow(), limit.quantity());
            bound(out, "failBelow", limit.failBelow(), limit.quantity());
            bound(out, "warnAbove", limit.warnAbove(), limit.quantity());
            bound(out, "failAbove", limit.failAbove(), limit.quantity());
        }
        out.append("outliers:\n");
        out.append("  # median and MAD across nodes, rails or pairs: flagged below median - madZ x 1.4826 MAD and below median x (1 - relativeFloor)\n");
        out.append("  enabled: ").append(outliers.enabled()).append('\n');
        out.append("  madZ: ").append(number(outliers.madZ())).append('\n');
        out.append("  relativeFloor: ").append(percent(outliers.relativeFloor())).append('\n');
        out.append("  minFleet: ").append(outliers.minFleet()).append('\n');
        out.append("collectives:\n");
        out.append("  # an all-node collective must reach this share of the ceiling its traffic allows over the measured rails\n");
        out.append("  allReduceFloor: ").append(percent(collectives.allReduce())).append('\n');
        out.append("  allGatherFloor: ").append(percent(collectives.allGather())).append('\n');
        out.append("  reduceScatterFloor: ").append(percent(collectives.reduceScatter())).append('\n');
        out.append("  alltoallFloor: ").append(percent(collectives.alltoall())).append('\n');
        out.append("  sendrecvFloor: ").append(percent(collectives.sendrecv())).append('\n');
        out.append("latency:\n");
        out.append("  # p99 of decode-size ops over every iteration of every rank\n");
        out.append("  tpAllReduceWarnAbove: ").append(micros(latency.tpAllReduceWarnAbove())).append('\n');
        out.append("  tpAllReduceFailAbove: ").append(micros(latency.tpAllReduceFailAbove())).append('\n');
        out.append("  ppSendRecvWarnAbove: ").append(micros(latency.ppSendRecvWarnAbove())).append('\n');
        out.append("  ppSendRecvFailAbove: ").append(micros(latency.ppSendRecvFailAbove())).append('\n');
        out.append("diff:\n");
        out.append("  # preflight diff reports measurements that got worse by more than this\n");
        out.append("  regression: ").append(number(regressionPercent)).append("%\n");
        out.append("plan:\n");
        out.append("  # GPU memory kept free of weights for the KV cache, activations and the runtime\n");
        out.append("  headroom: ").append(percent(headroomFraction)).append('\n');
        out.append("tokenBudget:\n");
        out.append("  # a model plan's communication per decode step may take this share of the inter-token latency\n");
        out.append("  interTokenLatency: ").append(number(tokenBudget.interTokenLatencySeconds() * 1000)).append("ms\n");
        out.append("  communicationShare: ").append(percent(tokenBudget.communicationShare())).append('\n');
        return out.toString();
    }

    private static void bound(StringBuilder out, String key, Double value, Quantity quantity) {
        if (value != null) {
            out.append("    ").append(key).append(": ").append(quantity.format(value)).append('\n');
        }
    }

    static String micros(double seconds) {
        return number(Math.round(seconds * 1e9) / 1e3) + "us";
    }

    static String bw(double bytesPerSecond) {
        return number(bytesPerSecond / 1e9) + "GB/s";
    }

    /** Exact, in the largest unit that divides it: 256MiB, 16GiB, 80GB, 1000B. */
    static String size(long bytes) {
        long[] divisors = {ByteSizes.TIB, ByteSizes.GIB, ByteSizes.MIB, ByteSizes.KIB,
            1_000_000_000_000L, 1_000_000_000L, 1_000_000L, 1_000L};
        String[] units = {"TiB", "GiB", "MiB", "KiB", "TB", "GB", "MB", "kB"};
        for (int i = 0; i < divisors.length; i++) {
            if (bytes != 0 && bytes % divisors[i] == 0) {
                return bytes / divisors[i] + units[i];
            }
        }
        return bytes + "B";
    }

    static String percent(double fraction) {
        return number(fraction * 100) + "%";
    }

    static String tierKey(Tier tier) {
        return tier.name().toLowerCase(Locale.ROOT);
    }

    /** Shortest exact decimal: 3.1, 25, 0.125. */
    public static String number(double value) {
        java.math.BigDecimal decimal = new java.math.BigDecimal(Double.toString(value)).stripTrailingZeros();
        return decimal.scale() < 0 ? decimal.setScale(0).toPlainString() : decimal.toPlainString();
    }
}
