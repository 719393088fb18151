package dev.preflight.coordinator.consistency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Fingerprint;
import dev.preflight.proto.v1.NodeInfo;
import dev.preflight.proto.v1.NodeReport;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConsistencyTest {
    private static NodeReport node(String name, String bootId, Map<String, String> facts, double offsetMillis) {
        return NodeReport.newBuilder().setAddress(name + ":7744").setNodeName(name).setHostname(name + ".cluster")
                .setReachability(NodeReport.Reachability.REACHABLE)
                .setInfo(NodeInfo.newBuilder().setBootId(bootId))
                .setFingerprint(Fingerprint.newBuilder().putAllFacts(facts))
                .setClockOffsetMillis(offsetMillis).setClockRttMillis(2)
                .build();
    }

    private static final Map<String, String> BASE = Map.of(
            "kernel", "5.15.0-105-generic", "nccl_env.NCCL_IB_HCA", "mlx5", "nccl.version", "2.21.5");

    @Test
    void identicalNodesPass() {
        List<CheckResult> results = Consistency.check(List.of(node("a", "1", BASE, 10), node("b", "2", BASE, -20)));
        assertTrue(results.stream().allMatch(r -> r.getStatus() == Status.PASS), results.toString());
    }

    @Test
    void anNcclSettingThatDiffersOnOneNodeFailsAndNamesIt() {
        Map<String, String> odd = new java.util.HashMap<>(BASE);
        odd.put("nccl_env.NCCL_IB_HCA", "mlx5_1");
        CheckResult result = Consistency.fingerprints(List.of(
                node("a", "1", BASE, 0), node("b", "2", BASE, 0), node("c", "3", odd, 0)));
        assertEquals(Status.FAIL, result.getStatus());
        assertEquals("1 of 3 facts differ between nodes: nccl_env.NCCL_IB_HCA", result.getSummary());
        assertEquals("nccl_env.NCCL_IB_HCA: 'mlx5' on a, b; 'mlx5_1' on c", result.getObserved());
    }

    @Test
    void kernelDriftAndAMissingFactWarn() {
        Map<String, String> odd = new java.util.HashMap<>(BASE);
        odd.put("kernel", "6.8.0-45-generic");
        odd.remove("nccl.version");
        CheckResult result = Consistency.fingerprints(List.of(node("a", "1", BASE, 0), node("b", "2", odd, 0)));
        assertEquals(Status.FAIL, result.getStatus(), "a missing NCCL version is a mismatch too");
        assertTrue(result.getObserved().contains("nccl.version: '2.21.5' on a; (absent) on b"), result.getObserved());
        Map<String, String> kernelOnly = new java.util.HashMap<>(BASE);
        kernelOnly.put("kernel", "6.8.0-45-generic");
        assertEquals(Status.WARN, Consistency.fingerprints(List.of(node("a", "1", BASE, 0), node("b", "2", kernelOnly, 0))).getStatus());
    }

    @Test
    void oneNodeHasNothingToCompare() {
        assertEquals(Status.SKIP, Consistency.fingerprints(List.of(node("a", "1", BASE, 0))).getStatus());
    }

    @Test
    void sharedBootIdsOrHostnamesFail() {
        CheckResult result = Consistency.identities(List.of(node("a", "same", BASE, 0), node("b", "same", BASE, 0)));
        assertEquals(Status.FAIL, result.getStatus());
        assertTrue(result.getSummary().contains("boot id 'same' on a:7744, b:7744"), result.getSummary());
    }

    @Test
    void aClockOffBeyondOneSecondWarnsNamingTheNode() {
        CheckResult result = Consistency.clocks(List.of(node("a", "1", BASE, 5), node("b", "2", BASE, 3_200)));
        assertEquals(Status.WARN, result.getStatus());
        assertEquals("clocks disagree: b 3.2 s ahead", result.getSummary());
        assertEquals(Status.PASS, Consistency.clocks(List.of(node("a", "1", BASE, 1_000.5))).getStatus(),
                "within a second once half the round trip is allowed for");
    }

    @Test
    void severityByKeyPrefix() {
        assertEquals(Status.FAIL, Consistency.severity("mtu.ib0"));
        assertEquals(Status.FAIL, Consistency.severity("model_store_fingerprint./models"));
        assertEquals(Status.FAIL, Consistency.severity("roce_gid_index.mlx5_bond_0:1"));
        assertEquals(Status.WARN, Consistency.severity("gpu.count"));
        assertEquals(Status.WARN, Consistency.severity("os"));
    }
}
