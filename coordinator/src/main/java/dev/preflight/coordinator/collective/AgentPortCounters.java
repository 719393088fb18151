package dev.preflight.coordinator.collective;

import dev.preflight.agent.hostfs.RdmaCounters;
import dev.preflight.agent.hostfs.RdmaCounters.Rise;
import dev.preflight.coordinator.fanout.Calls;
import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.GetPortCountersRequest;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.PortCounters;
import dev.preflight.proto.v1.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Port counters read from every benching node's agent (GetPortCounters) as a phase starts and as
 * it ends: an error counter that rose under the phase's traffic names the port — and so the NIC,
 * cable or transceiver — at fault, where counters on an idle link say little.
 */
public final class AgentPortCounters implements PortCounterHook {
    public static final String CHECK_ID = "fabric.port_counters";
    /** A link that went down or retrained under load is a broken link, not noise. */
    static final Set<String> FAILING = Set.of("link_downed", "link_error_recovery");

    private final Duration deadline;
    private final Map<String, PortCounters> before = new ConcurrentHashMap<>();

    public AgentPortCounters(Duration deadline) {
        this.deadline = deadline;
    }

    @Override
    public void before(String phase, List<BenchNode> nodes) {
        before.clear();
        read(nodes).forEach((node, counters) -> {
            if (counters != null) {
                before.put(node, counters);
            }
        });
    }

    @Override
    public Map<String, List<CheckResult>> after(String phase, List<BenchNode> nodes) {
        Map<String, List<CheckResult>> results = new LinkedHashMap<>();
        read(nodes).forEach((node, counters) -> {
            PortCounters earlier = before.get(node);
            if (counters != null && earlier != null && counters.getPortsCount() > 0) {
                results.put(node, List.of(judge(phase, RdmaCounters.risenErrors(earlier, counters),
                        counters.getPortsCount())));
            }
        });
        return results;
    }

    /** The phase's result for one node: which error counters rose on which ports. */
    static CheckResult judge(String phase, List<Rise> rises, int ports) {
        CheckResult.Builder result = CheckResult.newBuilder().setId(CHECK_ID).setScope(Scope.HOST)
                .setSubject(phase)
                .setExpected("no error counter rises on any RDMA port under the " + phase + " phase's traffic");
        if (rises.isEmpty()) {
            return result.setStatus(Status.PASS)
                    .setSummary("no error counter rose on " + ports + " port(s) during the " + phase + " phase")
                    .build();
        }
        boolean failing = false;
        List<String> described = new ArrayList<>();
        for (Rise rise : rises) {
            failing |= FAILING.contains(rise.counter());
            described.add(rise.port() + " " + rise.counter() + " +" + rise.delta());
            result.addMeasurements(Measurement.newBuilder().setName(rise.counter() + "_increase")
                    .setValue(rise.delta()).setUnit("count").setSubject(rise.port()));
        }
        return result.setStatus(failing ? Status.FAIL : Status.WARN)
                .setSummary("error counters rose during the " + phase + " phase: " + String.join(", ", described))
                .setObserved(String.join(", ", described))
                .setRemediation("check the named port's cable and transceiver (mlxlink -d <device> -p <port> --show_ber; "
                        + "reseat or replace), and its switch port; a link that went down under load must be fixed first")
                .build();
    }

    /** Every node's counters at once; null for a node whose agent did not answer in time. */
    private Map<String, PortCounters> read(List<BenchNode> nodes) {
        Map<String, CompletableFuture<PortCounters>> calls = new LinkedHashMap<>();
        for (BenchNode node : nodes) {
            CompletableFuture<PortCounters> call = new CompletableFuture<>();
            AgentGrpc.newStub(node.target().channel()).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
                    .getPortCounters(GetPortCountersRequest.getDefaultInstance(), Calls.unary(call));
            calls.put(node.name(), call);
        }
        Map<String, PortCounters> counters = new LinkedHashMap<>();
        calls.forEach((name, call) -> {
            try {
                counters.put(name, call.join());
            } catch (RuntimeException e) {
                // an agent that cannot answer now shows as lost in the bench itself
                counters.put(name, null);
            }
        });
        return counters;
    }
}
