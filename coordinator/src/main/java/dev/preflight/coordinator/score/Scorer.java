package dev.preflight.coordinator.score;

import dev.preflight.coordinator.score.Policy.IntraNodeBand;
import dev.preflight.coordinator.score.Policy.Limit;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Interconnect.Tier;
import dev.preflight.proto.v1.Judgement;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.HostLink;
import dev.preflight.proto.v1.HostNetworkResult;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.PortRate;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.v1.Scoring.Band;
import dev.preflight.proto.v1.Scoring.LinkAssessment;
import dev.preflight.proto.v1.Scoring;
import dev.preflight.reports.MetricKeys;
import dev.preflight.reports.Names;
import dev.preflight.reports.Series;
import dev.preflight.reports.Statuses;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Applies a {@link Policy} to a report: re-judges node checks whose measurements have policy
 * limits, turns the measurements into scored results (each quoting its threshold and citing the
 * number it judged), and sets the verdict. Scoring a scored report again replaces the earlier
 * scored results, so a report can be re-judged under another policy.
 */
public final class Scorer {
    public static final String LINK = "interconnect.link";
    public static final String AGGREGATE = "interconnect.aggregate";
    public static final String INTRA_NODE = "nccl.intra_node";
    public static final String OUTLIER = "nccl.outlier";
    public static final String CORRECTNESS = "nccl.correctness";
    public static final String HOST_TCP = "network.host_tcp";

    static final String NOT_COUNTED_HOST_VIEWS = "process-scoped result of an agent reading the host's views: "
            + "it describes the agent's pod, not the workload";

    private final Policy policy;
    private final Policy defaults = Policy.defaults();

    public Scorer(Policy policy) {
        this.policy = policy;
    }

    public PreflightReport score(PreflightReport report) {
        PreflightReport.Builder builder = report.toBuilder();
        Map<String, List<CheckResult>> nodeScored = new LinkedHashMap<>();
        List<CheckResult> clusterScored = new ArrayList<>();
        List<LinkAssessment> links = new ArrayList<>();
        Measurements measurements = report.getMeasurements();

        scoreLinks(measurements, nodeScored, clusterScored, links);
        List<Band> aggregateBands = new ArrayList<>();
        scoreAggregate(measurements, clusterScored, aggregateBands);
        scoreIntraNode(measurements, nodeScored, clusterScored);
        scoreOutliers(measurements, links, nodeScored, clusterScored);
        scoreCorrectness(measurements, nodeScored, clusterScored);
        scoreHostNetwork(report.getHostNetwork(), measurements, clusterScored);

        Set<String> nodeNames = new LinkedHashSet<>();
        for (int i = 0; i < builder.getNodesCount(); i++) {
            NodeReport node = builder.getNodes(i);
            String name = nodeName(node);
            nodeNames.add(name);
            NodeReport.Builder nodeBuilder = node.toBuilder().clearChecks();
            for (CheckResult check : node.getChecksList()) {
                if (!check.getScored()) {
                    nodeBuilder.addChecks(judgeLimits(node, check));
                }
            }
            nodeBuilder.addAllChecks(nodeScored.getOrDefault(name, List.of()));
            builder.setNodes(i, nodeBuilder);
        }
        // results about a node the report does not list still count, as the cluster's
        for (Map.Entry<String, List<CheckResult>> entry : nodeScored.entrySet()) {
            if (!nodeNames.contains(entry.getKey())) {
                for (CheckResult check : entry.getValue()) {
                    clusterScored.add(check.toBuilder().setSubject(entry.getKey() + " " + check.getSubject()).build());
                }
            }
        }
        List<CheckResult> cluster = new ArrayList<>();
        for (CheckResult check : report.getClusterChecksList()) {
            if (!check.getScored()) {
                cluster.add(check);
            }
        }
        cluster.addAll(clusterScored);
        builder.clearClusterChecks().addAllClusterChecks(cluster);

        Tier clusterTier = links.stream().map(LinkAssessment::getTier)
                .min((a, b) -> Integer.compare(a.getNumber(), b.getNumber()))
                .orElse(Tier.TIER_UNSPECIFIED);
        builder.setScoring(Scoring.newBuilder()
                .setPolicySource(policy.source())
                .setLargeMessageMinBytes(policy.largeMessageMinBytes())
                .addAllLinks(links)
                .setClusterTier(clusterTier)
                .addAllBands(bands(measurements))
                .addAllBands(aggregateBands)
                .setRegressionPercent(policy.regressionPercent()));

        Verdicts.Decision decision = Verdicts.decide(builder.build());
        builder.setVerdict(decision.verdict()).clearReasons().addAllReasons(decision.reasons());
        return builder.build();
    }

    /** The check as the policy's limits judge its measurements; not counted where it describes the agent's pod. */
    CheckResult judgeLimits(NodeReport node, CheckResult check) {
        CheckResult.Builder result = check.toBuilder();
        if (check.getScope() == Scope.PROCESS && node.getInfo().getHostViews()) {
            result.setNotCounted(NOT_COUNTED_HOST_VIEWS);
        }
        if (check.getStatus() != Status.PASS && check.getStatus() != Status.WARN && check.getStatus() != Status.FAIL) {
            return result.build();
        }
        Status byPolicy = Status.PASS;
        Status byDefaults = Status.PASS;
        List<String> quoted = new ArrayList<>();
        for (Measurement measurement : check.getMeasurementsList()) {
            Limit limit = policy.limits().get(measurement.getName());
            if (limit == null) {
                continue;
            }
            byPolicy = Statuses.worse(byPolicy, limit.status(measurement.getValue()));
            Limit builtIn = defaults.limits().get(measurement.getName());
            byDefaults = Statuses.worse(byDefaults, builtIn.status(measurement.getValue()));
            quoted.add(limit.describe());
        }
        if (quoted.isEmpty()) {
            return result.build();
        }
        // The check judged with the built-in limits; where those explain its status, the
        // policy's limits replace them, otherwise the check saw something else and keeps it.
        Status status = check.getStatus() == byDefaults ? byPolicy : Statuses.worse(check.getStatus(), byPolicy);
        result.setThreshold(String.join("; ", quoted));
        if (status != check.getStatus()) {
            result.setStatus(status)
                    .setSummary(check.getSummary() + " (" + status.name() + " under " + policy.source() + ")");
            if (status == Status.PASS) {
                result.setRemediation("");
            }
        }
        return result.build();
    }

    private void scoreLinks(Measurements measurements, Map<String, List<CheckResult>> nodeScored,
            List<CheckResult> clusterScored, List<LinkAssessment> links) {
        Policy.InterconnectPolicy ic = policy.interconnect();
        Tiers tiers = ic.tiers();
        Map<String, Double> railBest = railBusbw(measurements);
        for (PortRate port : measurements.getPortsList()) {
            double nominal = port.getRateBytesPerSecond();
            Tier nominalTier = tiers.classify(nominal);
            double floor = nominal * ic.efficiencyFloor();
            Double best = port.getRail() >= 0 ? railBest.get(port.getNode() + "\u0000" + port.getRail()) : null;
            OptionalDouble measured = best == null ? OptionalDouble.empty() : OptionalDouble.of(best);
            Tier tier;
            Status status;
            String summary;
            String portName = port.getDevice() + "/" + port.getPort();
            String nominalText = Bandwidths.formatBits(nominal) + " (" + Bandwidths.format(nominal) + ", "
                    + Tiers.label(nominalTier) + ")";
            if (measured.isEmpty()) {
                tier = nominalTier;
                status = ic.status(tier);
                summary = portName + " negotiated " + nominalText + "; no rail bench measured it";
            } else if (measured.getAsDouble() >= floor) {
                tier = nominalTier;
                status = ic.status(tier);
                summary = portName + " " + Tiers.label(tier) + ": rail " + port.getRail() + " measured "
                        + Bandwidths.format(measured.getAsDouble()) + " of its " + nominalText;
            } else {
                tier = tiers.classify(measured.getAsDouble());
                status = Statuses.worse(ic.status(tier), Status.WARN);
                summary = portName + " " + Tiers.label(tier) + " by measurement: rail " + port.getRail() + " measured "
                        + Bandwidths.format(measured.getAsDouble()) + ", below " + percent(ic.efficiencyFloor())
                        + " of its " + nominalText;
            }
            links.add(LinkAssessment.newBuilder()
                    .setNode(port.getNode())
                    .setLink(portName)
                    .setRail(port.getRail())
                    .setNominalBytesPerSecond(nominal)
                    .setNominalTier(nominalTier)
                    .setMeasuredBytesPerSecond(measured.orElse(0))
                    .setFloorBytesPerSecond(floor)
                    .setTier(tier)
                    .setStatus(judgement(status))
                    .build());
            CheckResult.Builder check = scored(LINK, status, summary)
                    .setSubject(portName + (port.getRail() >= 0 ? " rail " + port.getRail() : ""))
                    .setObserved(measured.isPresent() ? Bandwidths.format(measured.getAsDouble()) + " measured, "
                            + Bandwidths.formatBits(nominal) + " negotiated" : Bandwidths.formatBits(nominal) + " negotiated")
                    .setExpected(Tiers.label(ic.passFrom()) + " or better, backed by a measurement of at least "
                            + Bandwidths.format(floor))
                    .setThreshold(tierThreshold() + "; a measurement must reach " + percent(ic.efficiencyFloor())
                            + " of the negotiated rate (" + Bandwidths.format(floor) + ")")
                    .addMeasurements(cite(MetricKeys.port(port), nominal, "B/s"));
            if (status != Status.PASS) {
                check.setRemediation(measured.isPresent() && measured.getAsDouble() < floor
                        ? "reseat or replace the cable/transceiver of " + portName + " on " + port.getNode()
                                + " and check its counters (symbol errors, link downed); confirm GPU " + port.getRail()
                                + " and " + port.getDevice() + " share a PCIe switch"
                        : "give the node a faster fabric: production needs at least "
                                + Bandwidths.format(tiers.lowerBound(ic.passFrom())) + " per link (200 Gb/s HDR InfiniBand)");
            }
            nodeScored.computeIfAbsent(port.getNode(), k -> new ArrayList<>()).add(check.build());
        }
    }

    /** The best large-message bus bandwidth of every (node, rail) any rail series measured. */
    private Map<String, Double> railBusbw(Measurements measurements) {
        Map<String, Double> best = new LinkedHashMap<>();
        for (Sweep series : measurements.getSeriesList()) {
            if (series.getKind() != Sweep.Kind.RAIL) {
                continue;
            }
            OptionalDouble value = Series.bestBusbw(series, policy.largeMessageMinBytes());
            if (value.isPresent()) {
                for (String node : series.getNodesList()) {
                    best.merge(node + "\u0000" + series.getRail(), value.getAsDouble(), Math::max);
                }
            }
        }
        return best;
    }

    private void scoreAggregate(Measurements measurements, List<CheckResult> clusterScored, List<Band> bands) {
        Map<String, Double> railSums = new LinkedHashMap<>();
        for (PortRate port : measurements.getPortsList()) {
            railSums.merge(port.getNode(), port.getRateBytesPerSecond(), Double::sum);
        }
        double floorShare = policy.interconnect().efficiencyFloor();
        for (Sweep series : measurements.getSeriesList()) {
            if (series.getKind() != Sweep.Kind.ALL_NODES || series.getNodesCount() < 2) {
                continue;
            }
            OptionalDouble measured = Series.bestBusbw(series, policy.largeMessageMinBytes());
            String weakest = null;
            for (String node : series.getNodesList()) {
                Double sum = railSums.get(node);
                if (sum != null && (weakest == null || sum < railSums.get(weakest))) {
                    weakest = node;
                }
            }
            if (measured.isEmpty() || weakest == null) {
                continue;
            }
            double expected = railSums.get(weakest) * floorShare;
            if (bands.stream().noneMatch(b -> b.getLowBytesPerSecond() == expected && b.getOp().equals(series.getOp()))) {
                bands.add(band("ALL_NODES", series.getOp(), expected, 0, "PASS: rails' sum x " + percent(floorShare), Status.PASS));
                bands.add(band("ALL_NODES", series.getOp(), 0, expected, "WARN", Status.WARN));
            }
            Status status = measured.getAsDouble() >= expected ? Status.PASS : Status.WARN;
            String summary = Series.label(series) + " reached " + Bandwidths.format(measured.getAsDouble())
                    + (status == Status.PASS ? ", at least " : ", below ") + percent(floorShare) + " of "
                    + Bandwidths.format(railSums.get(weakest)) + " (the rails' sum of " + weakest + ")";
            CheckResult.Builder check = scored(AGGREGATE, status, summary)
                    .setSubject(Series.label(series))
                    .setObserved(Bandwidths.format(measured.getAsDouble()) + " bus bandwidth")
                    .setExpected("at least " + Bandwidths.format(expected))
                    .setThreshold("rails' sum x " + percent(floorShare) + " = " + Bandwidths.format(expected))
                    .addMeasurements(cite(MetricKeys.busbw(series), measured.getAsDouble(), "B/s"));
            if (status != Status.PASS) {
                check.setRemediation("compare the rails and the pairwise matrix to find the slow NIC or node; check "
                        + "NCCL_IB_HCA lists every rail NIC and that NCCL used GDRDMA on each");
            }
            clusterScored.add(check.build());
        }
    }

    private void scoreIntraNode(Measurements measurements, Map<String, List<CheckResult>> nodeScored,
            List<CheckResult> clusterScored) {
        for (Sweep series : measurements.getSeriesList()) {
            if (series.getKind() != Sweep.Kind.INTRA_NODE || !series.getOp().equals("all_reduce")
                    || series.getNodesCount() != 1) {
                continue;
            }
            String node = series.getNodes(0);
            OptionalDouble measured = Series.bestBusbw(series, policy.largeMessageMinBytes());
            String subject = "all_reduce x" + series.getRanks();
            CheckResult.Builder check;
            if (measured.isEmpty()) {
                check = scored(INTRA_NODE, Status.SKIP, "no all-reduce size of at least "
                        + ByteSizes.format(policy.largeMessageMinBytes()) + " was measured");
            } else {
                var band = policy.band(series.getGpuModel(), series.getRanks());
                if (band.isEmpty()) {
                    check = scored(INTRA_NODE, Status.SKIP, "measured " + Bandwidths.format(measured.getAsDouble())
                            + "; the policy has no intra-node band for " + describeGpus(series)
                            + " (add one under intraNode)");
                } else {
                    IntraNodeBand b = band.get();
                    Status status = b.status(measured.getAsDouble());
                    check = scored(INTRA_NODE, status, "intra-node all-reduce bus bandwidth "
                            + Bandwidths.format(measured.getAsDouble()) + " on " + describeGpus(series)
                            + (status == Status.PASS ? "" : ", below " + Bandwidths.format(
                                    status == Status.WARN ? b.passFrom() : b.failBelow())))
                            .setExpected("at least " + Bandwidths.format(b.passFrom()) + " (typical "
                                    + Bandwidths.format(b.typical()) + ")")
                            .setThreshold(b.describe());
                    if (status != Status.PASS) {
                        check.setRemediation("check NVLink and NVSwitch health (nvidia-smi nvlink -s, Fabric Manager "
                                + "running), that no GPU runs at reduced PCIe or NVLink width, and NCCL_P2P_DISABLE/NCCL_NVLS_ENABLE");
                    }
                }
                check.setObserved(Bandwidths.format(measured.getAsDouble()) + " bus bandwidth (best of sizes >= "
                        + ByteSizes.format(policy.largeMessageMinBytes()) + ")")
                        .addMeasurements(cite(MetricKeys.busbw(series), measured.getAsDouble(), "B/s"));
            }
            check.setSubject(subject);
            nodeScored.computeIfAbsent(node, k -> new ArrayList<>()).add(check.build());
        }
    }

    private void scoreOutliers(Measurements measurements, List<LinkAssessment> links,
            Map<String, List<CheckResult>> nodeScored, List<CheckResult> clusterScored) {
        Map<String, Double> intra = new LinkedHashMap<>();
        Map<String, Sweep> intraSeries = new LinkedHashMap<>();
        Map<String, Double> rails = new LinkedHashMap<>();
        Map<String, Sweep> railSeries = new LinkedHashMap<>();
        for (Sweep series : measurements.getSeriesList()) {
            OptionalDouble value = Series.bestBusbw(series, policy.largeMessageMinBytes());
            if (value.isEmpty() || !series.getOp().equals("all_reduce")) {
                continue;
            }
            if (series.getKind() == Sweep.Kind.INTRA_NODE && series.getNodesCount() == 1) {
                intra.put(series.getNodes(0), value.getAsDouble());
                intraSeries.put(series.getNodes(0), series);
            } else if (series.getKind() == Sweep.Kind.RAIL) {
                rails.put(Series.label(series), value.getAsDouble());
                railSeries.put(Series.label(series), series);
            }
        }
        String rule = outlierRule();
        for (Outliers.Outlier outlier : Outliers.low(intra, policy.outliers())) {
            nodeScored.computeIfAbsent(outlier.subject(), k -> new ArrayList<>()).add(outlierCheck(
                    "intra-node all_reduce", "its intra-node all-reduce", outlier, rule,
                    MetricKeys.busbw(intraSeries.get(outlier.subject())), "nodes").build());
        }
        for (Outliers.Outlier outlier : Outliers.low(rails, policy.outliers())) {
            Sweep series = railSeries.get(outlier.subject());
            // a rail below its links' efficiency floor is already named by those links
            boolean judged = links.stream().anyMatch(l -> l.getRail() == series.getRail()
                    && series.getNodesList().contains(l.getNode()) && l.getMeasuredBytesPerSecond() > 0
                    && l.getMeasuredBytesPerSecond() < l.getFloorBytesPerSecond());
            if (judged) {
                continue;
            }
            clusterScored.add(outlierCheck(outlier.subject(), outlier.subject(), outlier, rule,
                    MetricKeys.busbw(series), "rails").build());
        }
        Map<String, Double> pairs = new LinkedHashMap<>();
        Map<String, PairResult> pairResults = new LinkedHashMap<>();
        for (PairResult pair : measurements.getPairwise().getPairsList()) {
            String subject = pair.getA() + "~" + pair.getB();
            pairs.put(subject, pair.getBusbwBytesPerSecond());
            pairResults.put(subject, pair);
        }
        List<Outliers.Outlier> slowPairs = Outliers.low(pairs, policy.outliers());
        Map<String, List<Outliers.Outlier>> byNode = new LinkedHashMap<>();
        for (Outliers.Outlier outlier : slowPairs) {
            PairResult pair = pairResults.get(outlier.subject());
            byNode.computeIfAbsent(pair.getA(), k -> new ArrayList<>()).add(outlier);
            byNode.computeIfAbsent(pair.getB(), k -> new ArrayList<>()).add(outlier);
        }
        // a node in two or more slow pairs explains them: name it once instead of every pair
        Set<String> suspects = new LinkedHashSet<>();
        for (Map.Entry<String, List<Outliers.Outlier>> entry : byNode.entrySet()) {
            if (entry.getValue().size() >= 2) {
                suspects.add(entry.getKey());
                Outliers.Outlier worst = entry.getValue().stream()
                        .min((a, b) -> Double.compare(a.value(), b.value())).orElseThrow();
                CheckResult.Builder check = scored(OUTLIER, Status.WARN, "node " + entry.getKey() + " is in "
                        + entry.getValue().size() + " slow pairs (down to " + Bandwidths.format(worst.value())
                        + " against a median of " + Bandwidths.format(worst.median()) + "): its NICs or cables are the likely cause")
                        .setSubject("suspect " + entry.getKey())
                        .setObserved(entry.getValue().size() + " slow pairs, down to " + Bandwidths.format(worst.value()))
                        .setExpected("at least " + Bandwidths.format(worst.threshold()) + " per pair")
                        .setThreshold(rule)
                        .setRemediation("check " + entry.getKey() + "'s fabric ports (rates, counters) and its rail results");
                for (Outliers.Outlier outlier : entry.getValue()) {
                    check.addMeasurements(cite(MetricKeys.pair(pairResults.get(outlier.subject())), outlier.value(), "B/s"));
                }
                clusterScored.add(check.build());
            }
        }
        for (Outliers.Outlier outlier : slowPairs) {
            PairResult pair = pairResults.get(outlier.subject());
            if (!suspects.contains(pair.getA()) && !suspects.contains(pair.getB())) {
                clusterScored.add(outlierCheck("pair " + outlier.subject(), "send/recv between " + pair.getA() + " and "
                        + pair.getB(), outlier, rule, MetricKeys.pair(pair), "pairs").build());
            }
        }
    }

    private CheckResult.Builder outlierCheck(String subject, String what, Outliers.Outlier outlier, String rule,
            String key, String fleet) {
        return scored(OUTLIER, Status.WARN, what + " measured " + Bandwidths.format(outlier.value())
                + ", an outlier against the median " + Bandwidths.format(outlier.median()) + " of the " + fleet)
                .setSubject(subject)
                .setObserved(Bandwidths.format(outlier.value()))
                .setExpected("at least " + Bandwidths.format(outlier.threshold()))
                .setThreshold(rule)
                .setRemediation("compare this one's fabric ports, NVLink state and NCCL log with a healthy one's")
                .addMeasurements(cite(key, outlier.value(), "B/s"));
    }

    private void scoreCorrectness(Measurements measurements, Map<String, List<CheckResult>> nodeScored,
            List<CheckResult> clusterScored) {
        int clean = 0;
        for (Sweep series : measurements.getSeriesList()) {
            long wrong = 0;
            List<String> sizes = new ArrayList<>();
            for (SweepPoint point : series.getPointsList()) {
                if (point.getWrong() > 0) {
                    wrong += point.getWrong();
                    sizes.add(ByteSizes.format(point.getBytes()));
                }
            }
            if (wrong == 0) {
                clean++;
                continue;
            }
            CheckResult check = scored(CORRECTNESS, Status.FAIL, Series.label(series) + " returned " + wrong
                    + " wrong elements at " + String.join(", ", sizes) + ": data is corrupted in transit")
                    .setSubject(Series.label(series))
                    .setObserved(wrong + " wrong")
                    .setExpected("0 wrong")
                    .setThreshold("any wrong element fails")
                    .setRemediation("run the failing collective on subsets of the nodes to isolate the GPU or NIC; "
                            + "check GPU ECC and row remapping")
                    .build();
            if (series.getKind() == Sweep.Kind.INTRA_NODE && series.getNodesCount() == 1) {
                nodeScored.computeIfAbsent(series.getNodes(0), k -> new ArrayList<>()).add(check);
            } else {
                clusterScored.add(check);
            }
        }
        if (clean > 0 && clean == measurements.getSeriesCount()) {
            clusterScored.add(scored(CORRECTNESS, Status.PASS, "every result of " + clean
                    + (clean == 1 ? " bench series was" : " bench series was") + " correct")
                    .setThreshold("any wrong element fails").build());
        }
    }

    /** The host network's absolute class, when NCCL runs over sockets (its settings, or a bench's transport). */
    private void scoreHostNetwork(HostNetworkResult hostNetwork, Measurements measurements, List<CheckResult> clusterScored) {
        boolean sockets = hostNetwork.getScored() || measurements.getSeriesList().stream()
                .anyMatch(s -> s.getTransport().toLowerCase(Locale.ROOT).contains("socket"));
        if (!sockets) {
            return;
        }
        Policy.InterconnectPolicy ic = policy.interconnect();
        for (HostLink result : hostNetwork.getLinksList()) {
            if (!result.getError().isEmpty()) {
                continue;
            }
            Tier tier = ic.tiers().classify(result.getThroughputBytesPerSecond());
            Status status = ic.status(tier);
            CheckResult.Builder check = scored(HOST_TCP, status, "NCCL runs over sockets, and TCP from " + result.getFromNode()
                    + " to " + result.getToNode() + " carries " + Bandwidths.format(result.getThroughputBytesPerSecond())
                    + ": " + Tiers.label(tier))
                    .setSubject(result.getFromNode() + "->" + result.getToNode())
                    .setObserved(Bandwidths.format(result.getThroughputBytesPerSecond()))
                    .setExpected(Tiers.label(ic.passFrom()) + " or better")
                    .setThreshold(tierThreshold() + " (scored because NCCL fell back to sockets)")
                    .addMeasurements(cite(MetricKeys.hostNetwork(result), result.getThroughputBytesPerSecond(), "B/s"));
            if (status != Status.PASS) {
                check.setRemediation("make NCCL use the RDMA fabric (NCCL_IB_DISABLE=0, NCCL_IB_HCA, /dev/infiniband in the container)");
            }
            clusterScored.add(check.build());
        }
    }

    private List<Band> bands(Measurements measurements) {
        List<Band> bands = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Sweep series : measurements.getSeriesList()) {
            if (series.getKind() != Sweep.Kind.INTRA_NODE || !series.getOp().equals("all_reduce")) {
                continue;
            }
            policy.band(series.getGpuModel(), series.getRanks()).ifPresent(b -> {
                if (seen.add(b.part() + "/" + b.gpus())) {
                    String label = b.part() + " x" + b.gpus();
                    bands.add(band("INTRA_NODE", "all_reduce", b.passFrom(), 0, "PASS " + label, Status.PASS));
                    bands.add(band("INTRA_NODE", "all_reduce", b.failBelow(), b.passFrom(), "WARN " + label, Status.WARN));
                    bands.add(band("INTRA_NODE", "all_reduce", 0, b.failBelow(), "FAIL " + label, Status.FAIL));
                }
            });
        }
        Policy.InterconnectPolicy ic = policy.interconnect();
        for (Tier tier : List.of(Tier.UNUSABLE, Tier.TOO_SLOW, Tier.SMALL_MODELS_ONLY, Tier.PRODUCTION_VIABLE,
                Tier.RECOMMENDED, Tier.OPTIMAL)) {
            bands.add(band("RAIL", "", ic.tiers().lowerBound(tier), ic.tiers().upperBound(tier), Tiers.label(tier),
                    ic.status(tier)));
        }
        return bands;
    }

    private static Band band(String kind, String op, double low, double high, String label, Status status) {
        return Band.newBuilder().setKind(kind).setOp(op).setLowBytesPerSecond(low).setHighBytesPerSecond(high)
                .setLabel(label).setStatus(judgement(status)).build();
    }

    /** The per-link classes that decide PASS and WARN, quoted; the full table is in `policy show`. */
    private String tierThreshold() {
        Policy.InterconnectPolicy ic = policy.interconnect();
        return "PASS from " + Tiers.label(ic.passFrom()) + " (" + Bandwidths.format(ic.tiers().lowerBound(ic.passFrom()))
                + " per link), WARN from " + Tiers.label(ic.warnFrom()) + " ("
                + Bandwidths.format(ic.tiers().lowerBound(ic.warnFrom())) + ")";
    }

    private String outlierRule() {
        Policy.OutlierSettings o = policy.outliers();
        return "below median - " + Policy.number(o.madZ()) + " x 1.4826 MAD and below median x (1 - "
                + percent(o.relativeFloor()) + "), with at least " + o.minFleet() + " to compare";
    }

    private static CheckResult.Builder scored(String id, Status status, String summary) {
        return CheckResult.newBuilder().setId(id).setStatus(status).setScope(Scope.HOST).setSummary(summary).setScored(true);
    }

    /** A scored result names the number it judged by its key, so a diff can tie a regression to the judgement. */
    private static Measurement cite(String key, double value, String unit) {
        return Measurement.newBuilder().setName("measured").setValue(value).setUnit(unit).setSubject(key).build();
    }

    private static String describeGpus(Sweep series) {
        return series.getRanks() + "x " + (series.getGpuModel().isEmpty() ? "(unknown GPU)" : series.getGpuModel());
    }

    static String nodeName(NodeReport node) {
        return Names.node(node);
    }

    static String percent(double fraction) {
        return Policy.percent(fraction);
    }

    static Judgement.Status judgement(Status status) {
        switch (status) {
            case PASS:
                return Judgement.Status.PASS;
            case WARN:
                return Judgement.Status.WARN;
            case FAIL:
                return Judgement.Status.FAIL;
            default:
                return Judgement.Status.STATUS_UNSPECIFIED;
        }
    }
}
