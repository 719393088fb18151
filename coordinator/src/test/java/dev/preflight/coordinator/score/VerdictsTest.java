package dev.preflight.coordinator.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.NodeInfo;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.Scope;
import dev.preflight.proto.v1.Verdict;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerdictsTest {
    private static NodeReport node(String name, boolean hostViews, CheckResult... checks) {
        return NodeReport.newBuilder().setAddress(name + ":7744").setNodeName(name)
                .setReachability(NodeReport.Reachability.REACHABLE)
                .setInfo(NodeInfo.newBuilder().setNodeName(name).setHostViews(hostViews))
                .addAllChecks(List.of(checks)).build();
    }

    private static NodeReport unreachable(String address) {
        return NodeReport.newBuilder().setAddress(address)
                .setReachability(NodeReport.Reachability.UNREACHABLE).setError("UNAVAILABLE: refused").build();
    }

    private static CheckResult check(String id, Status status, Scope scope) {
        return CheckResult.newBuilder().setId(id).setStatus(status).setScope(scope).setSummary(id + " says so").build();
    }

    @Test
    void failBeatsIncompleteBeatsWarningBeatsViable() {
        CheckResult fail = check("host.shm", Status.FAIL, Scope.PROCESS);
        CheckResult warn = check("host.memlock", Status.WARN, Scope.PROCESS);
        CheckResult pass = check("host.memlock", Status.PASS, Scope.PROCESS);
        CheckResult error = check("host.shm", Status.ERROR, Scope.PROCESS);
        assertEquals(Verdict.NOT_VIABLE, Verdicts.decide(List.of(node("a", false, fail), unreachable("b:1")), List.of()).verdict());
        assertEquals(Verdict.INCOMPLETE, Verdicts.decide(List.of(node("a", false, warn), unreachable("b:1")), List.of()).verdict());
        assertEquals(Verdict.INCOMPLETE, Verdicts.decide(List.of(node("a", false, error)), List.of()).verdict());
        assertEquals(Verdict.VIABLE_WITH_WARNINGS, Verdicts.decide(List.of(node("a", false, warn, pass)), List.of()).verdict());
        assertEquals(Verdict.VIABLE, Verdicts.decide(List.of(node("a", false, pass)), List.of()).verdict());
        assertEquals(Verdict.INCOMPLETE, Verdicts.decide(List.of(), List.of()).verdict());
        assertEquals(Verdict.NOT_VIABLE, Verdicts.decide(List.of(node("a", false, pass)),
                List.of(check("cluster.expected_nodes", Status.FAIL, Scope.HOST))).verdict());
    }

    @Test
    void processScopedResultsOfAHostViewsAgentDescribeItsPodAndDoNotCount() {
        CheckResult processFail = check("host.shm", Status.FAIL, Scope.PROCESS);
        CheckResult hostFail = check("fabric.ib_ports", Status.FAIL, Scope.HOST);
        assertEquals(Verdict.VIABLE, Verdicts.decide(List.of(node("a", true, processFail)), List.of()).verdict());
        assertEquals(Verdict.NOT_VIABLE, Verdicts.decide(List.of(node("a", true, processFail, hostFail)), List.of()).verdict());
        assertEquals(Verdict.NOT_VIABLE, Verdicts.decide(List.of(node("a", false, processFail)), List.of()).verdict());
    }

    @Test
    void reasonsLeadWithFailuresAndNameTheNode() {
        Verdicts.Decision decision = Verdicts.decide(List.of(
                node("a", false, check("host.memlock", Status.WARN, Scope.PROCESS)),
                node("b", false, check("host.shm", Status.FAIL, Scope.PROCESS))), List.of());
        assertEquals("node b: host.shm FAIL: host.shm says so", decision.reasons().get(0));
        assertTrue(decision.reasons().get(1).startsWith("node a: host.memlock WARN"));
    }
}
