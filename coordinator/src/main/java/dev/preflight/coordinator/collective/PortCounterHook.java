package dev.preflight.coordinator.collective;

import dev.preflight.proto.v1.CheckResult;
import java.util.List;
import java.util.Map;

/**
 * Fabric port counters read around every bench phase (IB symbol_error, link_downed,
 * port_xmit_wait; RoCE out_of_sequence, np_cnp_sent, local_ack_timeout_err): errors that rise
 * under the phase's traffic name the bad port or cable. The phases call {@link #before} as they
 * start and {@link #after} as they end, on the nodes that benched; an implementation reads the
 * agents' counters and keeps the first reading between the two calls.
 */
public interface PortCounterHook {
    /** Reads every node's port counters before the phase's traffic. */
    void before(String phase, List<BenchNode> nodes);

    /**
     * Reads them again and judges the increase.
     *
     * @return results by node name, which join that node's checks (where the policy's port-counter
     *     limits, symbol_error_increase and link_downed_increase, judge their measurements)
     */
    Map<String, List<CheckResult>> after(String phase, List<BenchNode> nodes);

    /** No counters read: the agents offer no counter RPC yet. */
    PortCounterHook NONE = new PortCounterHook() {
        @Override
        public void before(String phase, List<BenchNode> nodes) {}

        @Override
        public Map<String, List<CheckResult>> after(String phase, List<BenchNode> nodes) {
            return Map.of();
        }
    };
}
