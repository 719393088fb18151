package dev.preflight.coordinator.hostnet;

import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.coordinator.fanout.Calls;
import dev.preflight.coordinator.outliers.Outliers;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.CloseListenerRequest;
import dev.preflight.proto.v1.HostLink;
import dev.preflight.proto.v1.HostNetGrpc;
import dev.preflight.proto.v1.HostNetworkResult;
import dev.preflight.proto.v1.ListenerInfo;
import dev.preflight.proto.v1.MeasurePeerRequest;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.OpenListenerRequest;
import dev.preflight.proto.v1.PeerMeasurement;
import dev.preflight.proto.v1.Scope;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Host network between agents over the interface the coordinator reaches them on (NCCL's
 * bootstrap path): TCP throughput and round trips for node pairs, in rounds of disjoint pairs, and
 * whether every node reaches the rendezvous port of the first node. The bandwidth decides only when
 * NCCL itself runs over sockets; the rendezvous port always does.
 */
public final class HostNetPhase {
    public static final String HOST_NETWORK_ID = "cluster.host_network";
    public static final String RENDEZVOUS_ID = "cluster.rendezvous";

    public record Node(String name, AgentTarget target) {}

    public record Settings(int streams, Duration duration, int pings, int rendezvousPort, Outliers.Settings outliers) {
        public static final Settings DEFAULT = new Settings(4, Duration.ofSeconds(2), 200, 29500, Outliers.Settings.DEFAULT);
    }

    /** The measured host network for the report and the cluster checks that judge it (as {@code PlanCost.Assessment}). */
    public record Assessment(HostNetworkResult result, List<CheckResult> checks) {}

    /** Slack on every call beyond its own work: connection set-up, acknowledgements, a loaded machine. */
    private static final Duration CALL_SLACK = Duration.ofSeconds(30);

    private final Settings settings;

    public HostNetPhase(Settings settings) {
        this.settings = settings;
    }

    public Assessment run(List<Node> nodes, boolean ncclOverSockets) {
        HostNetworkResult.Builder result = HostNetworkResult.newBuilder().setScored(ncclOverSockets)
                .setRendezvousPort(settings.rendezvousPort());
        if (nodes.size() < 2) {
            return new Assessment(result.build(), List.of());
        }
        result.setRendezvousNode(nodes.get(0).name());
        List<List<PairSchedule.Pair>> rounds = PairSchedule.rounds(nodes.size());
        Duration lifetime = estimate(rounds.size() + 1).plus(CALL_SLACK);
        Map<Integer, ListenerInfo> listeners = new LinkedHashMap<>();
        Map<Integer, String> listenerErrors = new LinkedHashMap<>();
        List<HostLink> links = new ArrayList<>();
        try {
            openListeners(nodes, lifetime, listeners, listenerErrors);
            Set<Integer> rendezvousChecked = new HashSet<>();
            for (List<PairSchedule.Pair> round : rounds) {
                links.addAll(measureRound(nodes, round, listeners, listenerErrors, true, rendezvousChecked));
            }
            List<PairSchedule.Pair> rendezvousOnly = new ArrayList<>();
            for (int i = 1; i < nodes.size(); i++) {
                if (!rendezvousChecked.contains(i)) {
                    rendezvousOnly.add(new PairSchedule.Pair(i, 0));
                }
            }
            if (!rendezvousOnly.isEmpty()) {
                links.addAll(measureRound(nodes, rendezvousOnly, listeners, listenerErrors, false, rendezvousChecked));
            }
        } finally {
            closeListeners(nodes, listeners);
        }
        result.addAllLinks(links);
        HostNetworkResult built = result.build();
        return new Assessment(built, List.of(bandwidthCheck(nodes, built), rendezvousCheck(nodes, built)));
    }

    /** Wall time of so many rounds, for the listeners' lifetime and the run's prediction. */
    public Duration estimate(int rounds) {
        return settings.duration().plusMillis(settings.pings() / 5L).plusSeconds(1).multipliedBy(rounds);
    }

    private void openListeners(List<Node> nodes, Duration lifetime, Map<Integer, ListenerInfo> listeners,
            Map<Integer, String> errors) {
        List<CompletableFuture<ListenerInfo>> futures = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            OpenListenerRequest request = OpenListenerRequest.newBuilder()
                    .setRendezvousPort(i == 0 ? settings.rendezvousPort() : 0)
                    .setLifetimeSeconds((int) Math.min(600, Math.max(1, lifetime.toSeconds())))
                    .build();
            CompletableFuture<ListenerInfo> future = new CompletableFuture<>();
            HostNetGrpc.newStub(nodes.get(i).target().channel()).withDeadlineAfter(CALL_SLACK.toMillis(), TimeUnit.MILLISECONDS)
                    .openListener(request, Calls.unary(future));
            futures.add(future);
        }
        for (int i = 0; i < futures.size(); i++) {
            try {
                listeners.put(i, futures.get(i).join());
            } catch (RuntimeException e) {
                errors.put(i, "cannot open a data listener on " + nodes.get(i).name() + ": " + Calls.describe(e));
            }
        }
    }

    private List<HostLink> measureRound(List<Node> nodes, List<PairSchedule.Pair> round, Map<Integer, ListenerInfo> listeners,
            Map<Integer, String> listenerErrors, boolean bandwidth, Set<Integer> rendezvousChecked) {
        List<CompletableFuture<PeerMeasurement>> futures = new ArrayList<>();
        List<HostLink.Builder> links = new ArrayList<>();
        Duration deadline = settings.duration().plus(CALL_SLACK).plusMillis(settings.pings());
        for (PairSchedule.Pair pair : round) {
            HostLink.Builder link = HostLink.newBuilder()
                    .setFromNode(nodes.get(pair.from()).name())
                    .setToNode(nodes.get(pair.to()).name());
            links.add(link);
            ListenerInfo listener = listeners.get(pair.to());
            if (listener == null) {
                link.setError(listenerErrors.get(pair.to()));
                futures.add(null);
                continue;
            }
            boolean rendezvous = pair.to() == 0 && settings.rendezvousPort() > 0;
            if (rendezvous) {
                rendezvousChecked.add(pair.from());
                link.setRendezvousChecked(true);
            }
            MeasurePeerRequest request = MeasurePeerRequest.newBuilder()
                    .setHost(listener.getHost())
                    .setPort(listener.getPort())
                    .setToken(listener.getToken())
                    .setStreams(bandwidth ? settings.streams() : 0)
                    .setDurationMillis((int) settings.duration().toMillis())
                    .setPings(bandwidth ? settings.pings() : 0)
                    .setRendezvousPort(rendezvous ? settings.rendezvousPort() : 0)
                    .build();
            CompletableFuture<PeerMeasurement> future = new CompletableFuture<>();
            HostNetGrpc.newStub(nodes.get(pair.from()).target().channel())
                    .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .measurePeer(request, Calls.unary(future));
            futures.add(future);
        }
        List<HostLink> done = new ArrayList<>();
        for (int i = 0; i < links.size(); i++) {
            HostLink.Builder link = links.get(i);
            CompletableFuture<PeerMeasurement> future = futures.get(i);
            if (future != null) {
                try {
                    PeerMeasurement m = future.join();
                    link.setThroughputBytesPerSecond(m.getThroughputBytesPerSecond())
                            .setRttP50Micros(m.getRttP50Micros())
                            .setRttP99Micros(m.getRttP99Micros())
                            .setError(m.getError())
                            .setRendezvousReachable(m.getRendezvousReachable())
                            .setRendezvousError(m.getRendezvousError());
                } catch (RuntimeException e) {
                    link.setError("measuring from " + link.getFromNode() + ": " + Calls.describe(e));
                }
            }
            if (bandwidth || link.getRendezvousChecked()) {
                done.add(link.build());
            }
        }
        return done;
    }

    private static void closeListeners(List<Node> nodes, Map<Integer, ListenerInfo> listeners) {
        listeners.forEach((index, listener) -> {
            try {
                HostNetGrpc.newBlockingStub(nodes.get(index).target().channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .closeListener(CloseListenerRequest.newBuilder().setListenerId(listener.getListenerId()).build());
            } catch (StatusRuntimeException e) {
                // the listener closes itself at the end of its lifetime anyway
            }
        });
    }

    CheckResult bandwidthCheck(List<Node> nodes, HostNetworkResult result) {
        CheckResult.Builder check = CheckResult.newBuilder().setId(HOST_NETWORK_ID).setScope(Scope.HOST)
                .setExpected("every node pair connects; no node's TCP throughput is an outlier below the fleet's median");
        Map<String, List<Double>> byNode = new LinkedHashMap<>();
        nodes.forEach(n -> byNode.put(n.name(), new ArrayList<>()));
        List<String> failed = new ArrayList<>();
        for (HostLink link : result.getLinksList()) {
            if (!link.getError().isEmpty()) {
                failed.add(link.getFromNode() + " → " + link.getToNode() + ": " + link.getError());
                continue;
            }
            if (link.getThroughputBytesPerSecond() > 0) {
                byNode.get(link.getFromNode()).add(link.getThroughputBytesPerSecond());
                byNode.get(link.getToNode()).add(link.getThroughputBytesPerSecond());
                check.addMeasurements(Measurement.newBuilder().setName("host_tcp_throughput_bytes_per_second")
                        .setValue(link.getThroughputBytesPerSecond()).setUnit("B/s")
                        .setSubject(link.getFromNode() + "->" + link.getToNode()));
                check.addMeasurements(Measurement.newBuilder().setName("host_tcp_rtt_p99_seconds")
                        .setValue(link.getRttP99Micros() / 1e6).setUnit("s")
                        .setSubject(link.getFromNode() + "->" + link.getToNode()));
            }
        }
        Map<String, Double> nodeMedians = new LinkedHashMap<>();
        byNode.forEach((name, values) -> {
            if (!values.isEmpty()) {
                nodeMedians.put(name, Outliers.median(values.stream().mapToDouble(Double::doubleValue).toArray()));
            }
        });
        List<String> slow = Outliers.low(nodeMedians, settings.outliers());
        double fleetMedian = nodeMedians.isEmpty() ? 0
                : Outliers.median(nodeMedians.values().stream().mapToDouble(Double::doubleValue).toArray());
        List<String> slowDescribed = new ArrayList<>();
        for (String name : slow) {
            slowDescribed.add(String.format(Locale.ROOT, "%s at %s/s (fleet median %s/s)", name,
                    ByteSizes.format((long) (double) nodeMedians.get(name)), ByteSizes.format((long) fleetMedian)));
        }
        check.setObserved(String.format(Locale.ROOT, "%d links measured, fleet median %s/s per node%s",
                result.getLinksCount(), ByteSizes.format((long) fleetMedian),
                failed.isEmpty() ? "" : "; failed: " + String.join("; ", failed)));
        String scope = result.getScored() ? "" : " (reported, not scored: NCCL does not run over sockets here)";
        if (!failed.isEmpty()) {
            check.setStatus(result.getScored() ? Status.FAIL : Status.WARN)
                    .setSummary(failed.size() + " node pair(s) cannot exchange TCP traffic: " + failed.get(0) + scope)
                    .setRemediation("open TCP between the nodes on the bootstrap interface (firewalls, security groups, "
                            + "NetworkPolicies); NCCL's bootstrap uses ephemeral ports");
        } else if (!slow.isEmpty()) {
            check.setStatus(result.getScored() ? Status.WARN : Status.PASS)
                    .setSummary("slow host network on " + String.join(", ", slowDescribed) + scope)
                    .setRemediation(result.getScored()
                            ? "check the slow node's NIC speed, duplex, MTU and cabling; NCCL over sockets runs at this speed"
                            : "");
        } else {
            check.setStatus(Status.PASS).setSummary(String.format(Locale.ROOT,
                    "host network even across %d nodes, median %s/s%s", nodes.size(), ByteSizes.format((long) fleetMedian), scope));
        }
        return check.build();
    }

    CheckResult rendezvousCheck(List<Node> nodes, HostNetworkResult result) {
        String target = nodes.get(0).name() + ":" + settings.rendezvousPort();
        CheckResult.Builder check = CheckResult.newBuilder().setId(RENDEZVOUS_ID).setScope(Scope.HOST)
                .setExpected("every node reaches the rendezvous port " + target);
        if (settings.rendezvousPort() == 0) {
            return check.setStatus(Status.SKIP).setSummary("no rendezvous port to check (--master-port 0)").build();
        }
        List<String> unreachable = new ArrayList<>();
        int checked = 0;
        for (HostLink link : result.getLinksList()) {
            if (link.getRendezvousChecked()) {
                checked++;
                if (!link.getRendezvousReachable()) {
                    unreachable.add(link.getFromNode() + " (" + (link.getRendezvousError().isEmpty()
                            ? link.getError() : link.getRendezvousError()) + ")");
                }
            }
        }
        if (!unreachable.isEmpty()) {
            return check.setStatus(Status.FAIL)
                    .setSummary("rendezvous port " + target + " unreachable from " + String.join(", ", unreachable))
                    .setObserved(unreachable.size() + " of " + checked + " nodes cannot connect")
                    .setRemediation("open TCP port " + settings.rendezvousPort() + " on " + nodes.get(0).name()
                            + " to the other nodes (NIM_MASTER_ADDR / MASTER_PORT)")
                    .build();
        }
        return check.setStatus(Status.PASS)
                .setSummary("all " + checked + " other node(s) reach the rendezvous port " + target)
                .setObserved(checked + " of " + checked + " connect").build();
    }
}
