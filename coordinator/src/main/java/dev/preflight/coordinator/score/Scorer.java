package dev.preflight.coordinator.score;

import dev.preflight.coordinator.outliers.Outliers;
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
import dev.preflight.proto.v1.Measurements.LatencyResult;
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
    public static final String EVIDENCE = "interconnect.measured";
    public static final String LATENCY = "nccl.latency";

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

        Map<String, RailMeasure> railMeasured = railBusbw(measurements);
        scoreEvidence(report, measurements, clusterScored);
        scoreLinks(report, measurements, nodeScored, links, railMeasured);
        List<Band> aggregateBands = new ArrayList<>();
        scoreAggregate(measurements, railMeasured, clusterScored, aggregateBands);
        scoreIntraNode(measurements, nodeScored);
        scoreOutliers(measurements, links, nodeRails(measurements, railMeasured), nodeScored, clusterScored);
        scoreCorrectness(measurements, nodeScored, clusterScored);
        scoreLatency(measurements, nodeScored, clusterScored);
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

    /** One GPU's rail on one node: its ports (several NICs serving one GPU form one rail) and their rates' sum. */
    private record RailGroup(String node, int rail, List<PortRate> ports) {
        double nominal() {
            return ports.stream().mapToDouble(PortRate::getRateBytesPerSecond).sum();
        }

        String portNames() {
            List<String> names = new ArrayList<>();
            for (PortRate port : ports) {
                names.add(port.getDevice() + "/" + port.getPort());
            }
            return String.join("+", names);
        }
    }

    /** The worst measured figure of a rail (over every series and attempt that measured it), and where it came from. */
    private record RailMeasure(double busbw, Sweep series) {}

    /** Whether a port can fail the verdict: the agent marks it required; older reports knew only a rail. */
    static boolean required(PortRate port) {
        return port.getRequired() || port.getRail() >= 0;
    }

    /** Reachable nodes the report holds; a report of none (a bare re-judged measurement set) counts its series' nodes. */
    private static int clusterSize(PreflightReport report) {
        long reachable = report.getNodesList().stream()
                .filter(n -> n.getReachability() == NodeReport.Reachability.REACHABLE).count();
        return (int) reachable;
    }

    private void scoreLinks(PreflightReport report, Measurements measurements, Map<String, List<CheckResult>> nodeScored,
            List<LinkAssessment> links, Map<String, RailMeasure> railMeasured) {
        Policy.InterconnectPolicy ic = policy.interconnect();
        Tiers tiers = ic.tiers();
        boolean multiNode = clusterSize(report) >= 2;
        Map<String, RailGroup> groups = new LinkedHashMap<>();
        for (PortRate port : measurements.getPortsList()) {
            if (!required(port)) {
                nodeScored.computeIfAbsent(port.getNode(), k -> new ArrayList<>()).add(unusedPort(port));
                continue;
            }
            // a port NCCL_IB_HCA requires without a rail map is judged on its own
            String key = port.getRail() >= 0 ? port.getNode() + "\u0000" + port.getRail()
                    : port.getNode() + "\u0000" + port.getDevice() + "/" + port.getPort();
            groups.computeIfAbsent(key, k -> new RailGroup(port.getNode(), port.getRail(), new ArrayList<>())).ports().add(port);
        }
        Set<String> judged = new LinkedHashSet<>();
        for (Map.Entry<String, RailGroup> entry : groups.entrySet()) {
            RailGroup group = entry.getValue();
            RailMeasure measure = group.rail() >= 0 ? railMeasured.get(entry.getKey()) : null;
            judged.add(entry.getKey());
            double nominal = group.nominal();
            double floor = nominal * ic.efficiencyFloor();
            Tier nominalTier = tiers.classify(nominal);
            String railName = group.rail() >= 0 ? "rail " + group.rail() + " (" + group.portNames() + ")" : group.portNames();
            String nominalText = Bandwidths.formatBits(nominal) + " negotiated (" + Bandwidths.format(nominal)
                    + (group.ports().size() > 1 ? ", the sum of " + group.ports().size() + " ports" : "") + ", "
                    + Tiers.label(nominalTier) + ")";
            Tier tier;
            Status status;
            String summary;
            String remediation = "";
            if (measure == null) {
                tier = nominalTier;
                if (multiNode) {
                    status = Statuses.worse(ic.status(nominalTier), Status.WARN);
                    summary = railName + " unmeasured: " + nominalText + ", but no NCCL rail bench measured it; run "
                            + "`preflight run --profile quick` (or --phases rails) to measure it";
                    remediation = "measure the rails: preflight run --profile quick";
                } else {
                    status = ic.status(nominalTier);
                    summary = railName + " " + nominalText + "; one node, so no path between nodes to measure";
                }
                if (ic.status(nominalTier) != Status.PASS) {
                    remediation = "give the node a faster fabric: production needs at least "
                            + Bandwidths.format(tiers.lowerBound(ic.passFrom())) + " per rail (200 Gb/s HDR InfiniBand)";
                }
            } else if (measure.busbw() < floor) {
                tier = tiers.classify(measure.busbw() / ic.efficiencyFloor());
                status = Status.FAIL;
                summary = "degraded link on " + group.node() + ": " + railName + " measured "
                        + Bandwidths.format(measure.busbw()) + ", below " + percent(ic.efficiencyFloor()) + " of its " + nominalText + ": expected at least "
                        + Bandwidths.format(floor) + algorithm(measure.series());
                remediation = "reseat or replace the cable/transceiver of " + group.portNames() + " on " + group.node()
                        + " and check its counters (symbol errors, link downed); confirm GPU " + group.rail() + " and "
                        + group.portNames() + " share a PCIe switch";
            } else {
                // the class of the line rate the measurement demonstrates, never above what was negotiated
                tier = tiers.classify(Math.min(measure.busbw() / ic.efficiencyFloor(), nominal));
                status = ic.status(tier);
                summary = railName + " " + Tiers.label(tier) + ": measured " + Bandwidths.format(measure.busbw())
                        + " per GPU, at least " + percent(ic.efficiencyFloor()) + " of its " + nominalText
                        + algorithm(measure.series());
                if (status != Status.PASS) {
                    remediation = "give the node a faster fabric: production needs at least "
                            + Bandwidths.format(tiers.lowerBound(ic.passFrom())) + " per rail (200 Gb/s HDR InfiniBand)";
                }
            }
            links.add(LinkAssessment.newBuilder()
                    .setNode(group.node())
                    .setLink(group.portNames())
                    .setRail(group.rail())
                    .setNominalBytesPerSecond(nominal)
                    .setNominalTier(nominalTier)
                    .setMeasuredBytesPerSecond(measure == null ? 0 : measure.busbw())
                    .setFloorBytesPerSecond(floor)
                    .setTier(tier)
                    .setStatus(judgement(status))
                    .build());
            CheckResult.Builder check = scored(LINK, status, summary)
                    .setSubject(group.portNames() + (group.rail() >= 0 ? " rail " + group.rail() : ""))
                    .setObserved(measure != null ? Bandwidths.format(measure.busbw()) + " measured ("
                            + Series.label(measure.series()) + algorithm(measure.series()) + "), "
                            + Bandwidths.formatBits(nominal) + " negotiated" : Bandwidths.formatBits(nominal) + " negotiated, not measured")
                    .setExpected(Tiers.label(ic.passFrom()) + " or better, measured at least " + Bandwidths.format(floor))
                    .setThreshold(tierThreshold() + "; a measurement must reach " + percent(ic.efficiencyFloor())
                            + " of the negotiated rate (" + Bandwidths.format(floor) + ")")
                    .setRemediation(remediation);
            for (PortRate port : group.ports()) {
                check.addMeasurements(cite(MetricKeys.port(port), port.getRateBytesPerSecond(), "B/s"));
            }
            if (measure != null) {
                check.addMeasurements(cite(MetricKeys.busbw(measure.series()), measure.busbw(), "B/s"));
            }
            nodeScored.computeIfAbsent(group.node(), k -> new ArrayList<>()).add(check.build());
        }
        // rails measured on nodes whose port rates are unknown: classed by the measurement alone
        for (Map.Entry<String, RailMeasure> entry : railMeasured.entrySet()) {
            if (judged.contains(entry.getKey())) {
                continue;
            }
            String[] key = entry.getKey().split("\u0000");
            RailMeasure measure = entry.getValue();
            Tier tier = tiers.classify(measure.busbw() / ic.efficiencyFloor());
            Status status = ic.status(tier);
            links.add(LinkAssessment.newBuilder().setNode(key[0]).setLink("rail " + key[1]).setRail(Integer.parseInt(key[1]))
                    .setMeasuredBytesPerSecond(measure.busbw()).setTier(tier).setStatus(judgement(status)).build());
            nodeScored.computeIfAbsent(key[0], k -> new ArrayList<>()).add(scored(LINK, status, "rail " + key[1] + " "
                    + Tiers.label(tier) + ": measured " + Bandwidths.format(measure.busbw()) + " per GPU (no port rate known; "
                    + "the class of " + Bandwidths.format(measure.busbw() / ic.efficiencyFloor()) + " of line rate at "
                    + percent(ic.efficiencyFloor()) + " efficiency)" + algorithm(measure.series()))
                    .setSubject("rail " + key[1])
                    .setObserved(Bandwidths.format(measure.busbw()) + " measured (" + Series.label(measure.series()) + ")")
                    .setExpected(Tiers.label(ic.passFrom()) + " or better")
                    .setThreshold(tierThreshold() + "; measured bus bandwidth counts as " + percent(ic.efficiencyFloor())
                            + " of line rate")
                    .setRemediation(status == Status.PASS ? "" : "give the node a faster fabric")
                    .addMeasurements(cite(MetricKeys.busbw(measure.series()), measure.busbw(), "B/s"))
                    .build());
        }
    }

    /** A port no GPU rail and no NCCL_IB_HCA entry uses: reported with its state, never counted. */
    private CheckResult unusedPort(PortRate port) {
        String name = port.getDevice() + "/" + port.getPort();
        return scored(LINK, Status.PASS, name + " (" + (port.getLinkLayer().isEmpty() ? "link layer unknown" : port.getLinkLayer())
                + (port.getState().isEmpty() ? "" : ", " + port.getState()) + ") at " + Bandwidths.formatBits(port.getRateBytesPerSecond())
                + ": no GPU rail or NCCL_IB_HCA entry uses it, so it is reported and not counted")
                .setSubject(name)
                .setObserved(Bandwidths.formatBits(port.getRateBytesPerSecond()) + " negotiated"
                        + (port.getState().isEmpty() ? "" : ", " + port.getState()))
                .setNotCounted("no GPU rail or NCCL_IB_HCA entry uses this port")
                .addMeasurements(cite(MetricKeys.port(port), port.getRateBytesPerSecond(), "B/s"))
                .build();
    }

    private static String algorithm(Sweep series) {
        return series.getNcclAlgo().isEmpty() ? "" : " with NCCL_ALGO=" + series.getNcclAlgo();
    }

    /**
     * The worst large-message bus bandwidth of every (node, rail) any rail series measured: where a
     * rail was measured twice (a repeat, or two partners), the worse counts.
     */
    private Map<String, RailMeasure> railBusbw(Measurements measurements) {
        Map<String, RailMeasure> worst = new LinkedHashMap<>();
        for (Sweep series : measurements.getSeriesList()) {
            if (series.getKind() != Sweep.Kind.RAIL) {
                continue;
            }
            OptionalDouble value = Series.bestBusbw(series, policy.largeMessageMinBytes());
            if (value.isPresent()) {
                RailMeasure measure = new RailMeasure(value.getAsDouble(), series);
                for (String node : series.getNodesList()) {
                    worst.merge(node + "\u0000" + series.getRail(), measure, (a, b) -> a.busbw() <= b.busbw() ? a : b);
                }
            }
        }
        return worst;
    }

    /** Whether NCCL measured the paths between the nodes at all: a multi-node verdict needs it to be plain VIABLE. */
    private void scoreEvidence(PreflightReport report, Measurements measurements, List<CheckResult> clusterScored) {
        int nodes = clusterSize(report);
        if (nodes < 2) {
            return;
        }
        List<String> across = new ArrayList<>();
        for (Sweep series : measurements.getSeriesList()) {
            if (series.getNodesCount() >= 2 && series.getKind() != Sweep.Kind.INTRA_NODE) {
                across.add(Series.label(series));
            }
        }
        if (!measurements.getPairwise().getPairsList().isEmpty()) {
            across.add("pairwise send/recv (" + measurements.getPairwise().getPairsCount() + " pairs)");
        }
        CheckResult.Builder check;
        if (across.isEmpty()) {
            check = scored(EVIDENCE, Status.WARN, "unmeasured: no NCCL collective ran between the " + nodes
                    + " nodes, so nothing shows their GPUs can reach each other at the rates negotiated; run "
                    + "`preflight run --profile quick` (or `--profile full`) to measure")
                    .setObserved("no inter-node NCCL measurement")
                    .setRemediation("preflight run --profile quick (NCCL across the nodes: every rail and all nodes at once)");
        } else {
            check = scored(EVIDENCE, Status.PASS, "NCCL measured the paths between the " + nodes + " nodes: "
                    + String.join(", ", across.subList(0, Math.min(3, across.size())))
                    + (across.size() > 3 ? " and " + (across.size() - 3) + " more" : ""))
                    .setObserved(across.size() + " inter-node measurement(s)");
        }
        clusterScored.add(check.setSubject("inter-node paths")
                .setExpected("every inter-node path measured by NCCL")
                .setThreshold("a multi-node verdict is plain VIABLE only on measured paths")
                .build());
    }

    /** Per node: its rails' measured bus bandwidths (the worse where measured twice). */
    private static Map<String, Map<Integer, Double>> measuredByNode(Map<String, RailMeasure> railMeasured) {
        Map<String, Map<Integer, Double>> byNode = new LinkedHashMap<>();
        railMeasured.forEach((key, measure) -> {
            String[] parts = key.split("\u0000");
            byNode.computeIfAbsent(parts[0], k -> new LinkedHashMap<>()).put(Integer.parseInt(parts[1]), measure.busbw());
        });
        return byNode;
    }

    /**
     * What one node's rails carry together and per GPU: measured where a rail bench ran, else the
     * negotiated rates at the efficiency floor.
     */
    private record NodeRails(double sum, double perGpu, boolean measured) {}

    private Map<String, NodeRails> nodeRails(Measurements measurements, Map<String, RailMeasure> railMeasured) {
        Map<String, NodeRails> result = new LinkedHashMap<>();
        measuredByNode(railMeasured).forEach((node, rails) -> result.put(node, new NodeRails(
                rails.values().stream().mapToDouble(Double::doubleValue).sum(),
                rails.values().stream().mapToDouble(Double::doubleValue).min().orElse(0), true)));
        Map<String, Map<String, Double>> nominal = new LinkedHashMap<>();
        for (PortRate port : measurements.getPortsList()) {
            if (required(port) && !result.containsKey(port.getNode())) {
                String rail = port.getRail() >= 0 ? "rail " + port.getRail() : port.getDevice() + "/" + port.getPort();
                nominal.computeIfAbsent(port.getNode(), k -> new LinkedHashMap<>())
                        .merge(rail, port.getRateBytesPerSecond() * policy.interconnect().efficiencyFloor(), Double::sum);
            }
        }
        nominal.forEach((node, rails) -> result.put(node, new NodeRails(
                rails.values().stream().mapToDouble(Double::doubleValue).sum(),
                rails.values().stream().mapToDouble(Double::doubleValue).min().orElse(0), false)));
        return result;
    }

    /**
     * The all-node collectives, each against the ceiling its traffic pattern allows over the
     * weakest node's rails, at the op's policy share: FAIL below it.
     */
    private void scoreAggregate(Measurements measurements, Map<String, RailMeasure> railMeasured,
            List<CheckResult> clusterScored, List<Band> bands) {
        Map<String, NodeRails> rails = nodeRails(measurements, railMeasured);
        for (Sweep series : measurements.getSeriesList()) {
            if (series.getKind() != Sweep.Kind.ALL_NODES || series.getNodesCount() < 2) {
                continue;
            }
            OptionalDouble measured = Series.bestBusbw(series, policy.largeMessageMinBytes());
            OptionalDouble share = policy.collectives().share(series.getOp());
            String weakest = null;
            for (String node : series.getNodesList()) {
                NodeRails r = rails.get(node);
                if (r != null && (weakest == null || r.sum() < rails.get(weakest).sum())) {
                    weakest = node;
                }
            }
            if (measured.isEmpty() || share.isEmpty() || weakest == null) {
                continue;
            }
            NodeRails w = rails.get(weakest);
            double perGpuWorst = series.getNodesList().stream().map(rails::get).filter(java.util.Objects::nonNull)
                    .mapToDouble(NodeRails::perGpu).min().orElse(w.perGpu());
            int n = series.getNodesCount();
            int ranks = Math.max(series.getRanks(), n);
            String pattern;
            double ceiling;
            switch (series.getOp()) {
                case "alltoall":
                case "all_to_all":
                    // each GPU's off-node share leaves through its own rail
                    ceiling = perGpuWorst * n * (ranks - 1.0) / ((n - 1.0) * ranks);
                    pattern = "one GPU's rail (" + Bandwidths.format(perGpuWorst) + ") x " + n + "(" + ranks + "-1)/(("
                            + n + "-1)" + ranks + ")";
                    break;
                case "sendrecv":
                case "send_recv":
                    ceiling = perGpuWorst;
                    pattern = "one GPU's rail (" + Bandwidths.format(perGpuWorst) + "), as each node boundary is crossed by one GPU";
                    break;
                default:
                    ceiling = w.sum();
                    pattern = "the rails of " + weakest + " together (" + Bandwidths.format(w.sum()) + ")";
                    break;
            }
            String basis = w.measured() ? "measured rails" : "negotiated rates at " + percent(policy.interconnect().efficiencyFloor());
            double expected = ceiling * share.getAsDouble();
            if (bands.stream().noneMatch(b -> b.getLowBytesPerSecond() == expected && b.getOp().equals(series.getOp()))) {
                bands.add(band("ALL_NODES", series.getOp(), expected, 0, "PASS: " + percent(share.getAsDouble())
                        + " of the ceiling", Status.PASS));
                bands.add(band("ALL_NODES", series.getOp(), 0, expected, "FAIL", Status.FAIL));
            }
            Status status = measured.getAsDouble() >= expected ? Status.PASS : Status.FAIL;
            String summary = Series.label(series) + " reached " + Bandwidths.format(measured.getAsDouble())
                    + (status == Status.PASS ? ", at least " : ", below ") + percent(share.getAsDouble()) + " of its ceiling "
                    + Bandwidths.format(ceiling) + ": " + pattern + ", from "
                    + basis + algorithm(series);
            CheckResult.Builder check = scored(AGGREGATE, status, summary)
                    .setSubject(Series.label(series))
                    .setObserved(Bandwidths.format(measured.getAsDouble()) + " bus bandwidth" + algorithm(series))
                    .setExpected("at least " + Bandwidths.format(expected))
                    .setThreshold(series.getOp() + " floor " + percent(share.getAsDouble()) + " of " + Bandwidths.format(ceiling)
                            + " = " + Bandwidths.format(expected))
                    .addMeasurements(cite(MetricKeys.busbw(series), measured.getAsDouble(), "B/s"));
            if (status != Status.PASS) {
                check.setRemediation("compare the rails and the pairwise matrix to find the slow NIC or node; check "
                        + "NCCL_IB_HCA lists every rail NIC and that NCCL used GDRDMA on each");
            }
            clusterScored.add(check.build());
        }
    }

    private void scoreIntraNode(Measurements measurements, Map<String, List<CheckResult>> nodeScored) {
        for (Sweep series : measurements.getSeriesList()) {
            if (series.getKind() != Sweep.Kind.INTRA_NODE || !series.getOp().equals("all_reduce")
                    || series.getNodesCount() != 1 || series.getRanks() < 2) {
                continue;
            }
            String node = series.getNodes(0);
            OptionalDouble measured = Series.bestBusbw(series, policy.largeMessageMinBytes());
            String subject = "all_reduce x" + series.getRanks() + (series.getAttempt() > 1 ? " attempt " + series.getAttempt() : "");
            CheckResult.Builder check;
            if (measured.isEmpty()) {
                check = scored(INTRA_NODE, Status.SKIP, "no all-reduce size of at least "
                        + ByteSizes.format(policy.largeMessageMinBytes()) + " was measured");
            } else {
                var band = policy.band(series.getGpuModel(), series.getRanks());
                if (band.isEmpty()) {
                    check = scored(INTRA_NODE, Status.WARN, "measured " + Bandwidths.format(measured.getAsDouble())
                            + " on " + describeGpus(series) + ", a part (or GPU count) the policy has no intra-node band for: "
                            + "nothing says whether that is healthy")
                            .setExpected("a band for \"" + series.getGpuModel() + "\" x" + series.getRanks())
                            .setRemediation("add a band for this exact part under intraNode in a --policy file");
                } else {
                    IntraNodeBand b = band.get();
                    Status status = b.status(measured.getAsDouble());
                    check = scored(INTRA_NODE, status, "intra-node all-reduce bus bandwidth "
                            + Bandwidths.format(measured.getAsDouble()) + " on " + describeGpus(series) + " (" + b.interconnect()
                            + ")" + (status == Status.PASS ? "" : ", below " + Bandwidths.format(
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

    private void scoreOutliers(Measurements measurements, List<LinkAssessment> links, Map<String, NodeRails> rails,
            Map<String, List<CheckResult>> nodeScored, List<CheckResult> clusterScored) {
        if (!policy.outliers().enabled()) {
            return;
        }
        Outliers.Settings rule = policy.outliers().rule();
        Map<String, Double> intra = new LinkedHashMap<>();
        Map<String, Sweep> intraSeries = new LinkedHashMap<>();
        Map<String, Double> railValues = new LinkedHashMap<>();
        Map<String, Sweep> railSeries = new LinkedHashMap<>();
        OptionalDouble intraCeiling = OptionalDouble.empty();
        for (Sweep series : measurements.getSeriesList()) {
            OptionalDouble value = Series.bestBusbw(series, policy.largeMessageMinBytes());
            if (value.isEmpty() || !series.getOp().equals("all_reduce")) {
                continue;
            }
            if (series.getKind() == Sweep.Kind.INTRA_NODE && series.getNodesCount() == 1) {
                intra.merge(series.getNodes(0), value.getAsDouble(), Math::min);
                intraSeries.putIfAbsent(series.getNodes(0), series);
                var band = policy.band(series.getGpuModel(), series.getRanks());
                if (band.isPresent()) {
                    intraCeiling = OptionalDouble.of(band.get().passFrom());
                }
            } else if (series.getKind() == Sweep.Kind.RAIL) {
                railValues.merge(railKey(series), value.getAsDouble(), Math::min);
                railSeries.putIfAbsent(railKey(series), series);
            }
        }
        // with fewer than minFleet nodes a node's intra-node figure is judged against its band's PASS
        // line: below it the band's own result already names the node
        if (intra.size() >= rule.minFleet()) {
            for (Outliers.Outlier<String> outlier : Outliers.judge(intra, rule, intraCeiling)) {
                nodeScored.computeIfAbsent(outlier.subject(), k -> new ArrayList<>()).add(outlierCheck(
                        "intra-node all_reduce", "its intra-node all-reduce", outlier, rule,
                        MetricKeys.busbw(intraSeries.get(outlier.subject())), "nodes").build());
            }
        }
        for (Outliers.Outlier<String> outlier : Outliers.judge(railValues, rule, OptionalDouble.empty())) {
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
            pairs.merge(subject, pair.getBusbwBytesPerSecond(), Math::min);
            pairResults.putIfAbsent(subject, pair);
        }
        // with two or three nodes, a pair is judged against what the weaker node's rails carry
        OptionalDouble pairCeiling = pairs.keySet().stream().flatMap(k -> java.util.Arrays.stream(k.split("~")))
                .map(rails::get).filter(java.util.Objects::nonNull).mapToDouble(NodeRails::sum).min();
        List<Outliers.Outlier<String>> slowPairs = Outliers.judge(pairs, rule, pairCeiling);
        Map<String, List<Outliers.Outlier<String>>> byNode = new LinkedHashMap<>();
        for (Outliers.Outlier<String> outlier : slowPairs) {
            PairResult pair = pairResults.get(outlier.subject());
            byNode.computeIfAbsent(pair.getA(), k -> new ArrayList<>()).add(outlier);
            byNode.computeIfAbsent(pair.getB(), k -> new ArrayList<>()).add(outlier);
        }
        // a node in two or more slow pairs explains them: name it once instead of every pair
        Set<String> suspects = new LinkedHashSet<>();
        for (Map.Entry<String, List<Outliers.Outlier<String>>> entry : byNode.entrySet()) {
            if (entry.getValue().size() >= 2) {
                suspects.add(entry.getKey());
                Outliers.Outlier<String> worst = entry.getValue().stream()
                        .min((a, b) -> Double.compare(a.value(), b.value())).orElseThrow();
                CheckResult.Builder check = scored(OUTLIER, Status.WARN, "node " + entry.getKey() + " is in "
                        + entry.getValue().size() + " slow pairs (down to " + Bandwidths.format(worst.value())
                        + " against " + reference(worst) + "): its NICs or cables are the likely cause")
                        .setSubject("suspect " + entry.getKey())
                        .setObserved(entry.getValue().size() + " slow pairs, down to " + Bandwidths.format(worst.value()))
                        .setExpected("at least " + Bandwidths.format(worst.threshold()) + " per pair")
                        .setThreshold(rule.describe())
                        .setRemediation("check " + entry.getKey() + "'s fabric ports (rates, counters) and its rail results");
                for (Outliers.Outlier<String> outlier : entry.getValue()) {
                    check.addMeasurements(cite(MetricKeys.pair(pairResults.get(outlier.subject())), outlier.value(), "B/s"));
                }
                clusterScored.add(check.build());
            }
        }
        for (Outliers.Outlier<String> outlier : slowPairs) {
            PairResult pair = pairResults.get(outlier.subject());
            if (!suspects.contains(pair.getA()) && !suspects.contains(pair.getB())) {
                clusterScored.add(outlierCheck("pair " + outlier.subject(), "send/recv between " + pair.getA() + " and "
                        + pair.getB(), outlier, rule, MetricKeys.pair(pair), "pairs").build());
            }
        }
    }

    /** A rail's communicator; its attempts share the key, so the worse counts. */
    private static String railKey(Sweep series) {
        return Series.label(series);
    }

    private static String reference(Outliers.Outlier<String> outlier) {
        return outlier.againstCeiling() ? "the expected " + Bandwidths.format(outlier.reference())
                : "a median of " + Bandwidths.format(outlier.reference());
    }

    private CheckResult.Builder outlierCheck(String subject, String what, Outliers.Outlier<String> outlier,
            Outliers.Settings rule, String key, String fleet) {
        return scored(OUTLIER, Status.WARN, what + " measured " + Bandwidths.format(outlier.value())
                + ", an outlier against " + (outlier.againstCeiling() ? "the expected " + Bandwidths.format(outlier.reference())
                        + " (too few " + fleet + " for a median)" : "the median " + Bandwidths.format(outlier.reference())
                        + " of the " + fleet))
                .setSubject(subject)
                .setObserved(Bandwidths.format(outlier.value()))
                .setExpected("at least " + Bandwidths.format(outlier.threshold()))
                .setThreshold(rule.describe())
                .setRemediation("compare this one's fabric ports, NVLink state and NCCL log with a healthy one's")
                .addMeasurements(cite(key, outlier.value(), "B/s"));
    }

    /**
     * Decode-size latency on its p99: the TP all-reduce inside a node and the PP send/recv across
     * nodes. The p99 is over every iteration of every rank where the report has them; an older
     * report's figure is the mean of the ranks' p99s, and the result says so.
     */
    private void scoreLatency(Measurements measurements, Map<String, List<CheckResult>> nodeScored,
            List<CheckResult> clusterScored) {
        Policy.LatencyLimits limits = policy.latency();
        Map<String, LatencyResult> worst = new LinkedHashMap<>();
        for (LatencyResult result : measurements.getLatencyList()) {
            boolean tp = result.getOp().equals("all_reduce") && result.getNodesCount() == 1;
            boolean pp = (result.getOp().equals("send_recv") || result.getOp().equals("sendrecv")) && result.getNodesCount() >= 2;
            if ((!tp && !pp) || result.getP99Us() <= 0) {
                continue;
            }
            // each communicator's worst decode size decides; sizes differ by batch, not by kind of traffic
            worst.merge(result.getOp() + " " + String.join("~", result.getNodesList()), result,
                    (a, b) -> a.getP99Us() >= b.getP99Us() ? a : b);
        }
        for (LatencyResult result : worst.values()) {
            boolean tp = result.getOp().equals("all_reduce");
            double seconds = result.getP99Us() / 1e6;
            Status status = tp ? limits.tpAllReduce(seconds) : limits.ppSendRecv(seconds);
            double warn = tp ? limits.tpAllReduceWarnAbove() : limits.ppSendRecvWarnAbove();
            double fail = tp ? limits.tpAllReduceFailAbove() : limits.ppSendRecvFailAbove();
            String what = tp ? "TP all-reduce inside " + result.getNodes(0) : "PP send/recv across " + String.join("~", result.getNodesList());
            String basis = result.getP99AllIterations() ? "p99 over every iteration of every rank"
                    : "p99 as the report recorded it (the mean of the ranks' p99s: no per-iteration times were recorded)";
            CheckResult.Builder check = scored(LATENCY, status, what + " at " + ByteSizes.format(result.getBytes()) + ": "
                    + basis + " " + micros(seconds) + (status == Status.PASS ? ", within " + micros(warn)
                            : ", above " + micros(status == Status.FAIL ? fail : warn))
                    + (result.getGraphMeanUs() > 0 ? "; mean with CUDA graphs " + micros(result.getGraphMeanUs() / 1e6) : ""))
                    .setSubject((tp ? "tp all_reduce " : "pp send_recv ") + ByteSizes.format(result.getBytes()))
                    .setObserved(micros(seconds) + " p99 over " + result.getSamples() + " iterations x " + result.getRanks() + " ranks")
                    .setExpected("p99 at most " + micros(warn))
                    .setThreshold("WARN above " + micros(warn) + ", FAIL above " + micros(fail))
                    .addMeasurements(cite(MetricKeys.latency(result, "p99"), seconds, "s"));
            if (status != Status.PASS) {
                check.setRemediation(tp ? "check NVLink health and that nothing else runs on the GPUs (clocks, MIG, MPS)"
                        : "check NCCL runs over RDMA between these nodes (not sockets), and the rail's counters and congestion");
            }
            if (tp) {
                nodeScored.computeIfAbsent(result.getNodes(0), k -> new ArrayList<>()).add(check.build());
            } else {
                clusterScored.add(check.build());
            }
        }
    }

    /** A time in microseconds as printed: 12.5 us. */
    static String micros(double seconds) {
        return String.format(Locale.ROOT, "%.1f us", seconds * 1e6);
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
                    + " wrong elements at " + String.join(", ", sizes)
                    + (series.hasWrongRanks() ? " in the output of " + Names.wrongRanks(series.getWrongRanks().getRanksList())
                            : "")
                    + ": data is corrupted in transit")
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
