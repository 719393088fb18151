package dev.preflight.coordinator.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.fanout.Fanout;
import dev.preflight.coordinator.fanout.FanoutListener;
import dev.preflight.coordinator.hostnet.HostNetPhase;
import dev.preflight.coordinator.score.Policy;
import dev.preflight.coordinator.score.Scorer;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunChecksRequest;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Verdict;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A run stopped by a signal part-way still reports what it measured, and marks the rest not run. */
class StoppedRunTest {
    private static final String WHY = "preflight was stopped by SIGTERM";

    private static PreflightRun run() {
        return new PreflightRun(new Fanout(Duration.ofSeconds(1), Duration.ofSeconds(1), FanoutListener.NONE),
                new PreflightRun.Options(EnumSet.of(Phase.CHECKS, Phase.CONSISTENCY, Phase.HOSTNET),
                        RunChecksRequest.getDefaultInstance(), HostNetPhase.Settings.DEFAULT, new Scorer(Policy.defaults()),
                        null, null),
                Progress.QUIET, Clock.systemUTC());
    }

    private static NodeReport answered(String address, CheckResult.Status status) {
        return NodeReport.newBuilder().setAddress(address).setNodeName(address).setReachability(NodeReport.Reachability.REACHABLE)
                .addChecks(CheckResult.newBuilder().setId("host.memlock").setStatus(status).setSummary("limited")).build();
    }

    @Test
    void stoppedDuringTheChecksKeepsTheNodesThatAnsweredAndMarksTheRestNotRun() {
        PreflightReport report = run().stoppedReport("preflight run", WHY, List.of(answered("a:7744", CheckResult.Status.PASS)),
                List.of("a:7744", "b:7744"));
        assertEquals(Verdict.INCOMPLETE, report.getVerdict());
        assertEquals(2, report.getNodesCount());
        assertEquals(NodeReport.Reachability.REACHABLE, report.getNodes(0).getReachability());
        assertEquals("not run: " + WHY + " before it answered", report.getNodes(1).getError());
        assertEquals(List.of("checks", "consistency", "hostnet"),
                report.getPhasesList().stream().map(RunPhase::getName).toList());
        assertTrue(report.getPhasesList().stream().allMatch(phase -> phase.getOutcome() == RunPhase.Outcome.NOT_RUN));
        assertEquals(WHY + " after 1 of 2 nodes answered", report.getPhases(0).getError());
        assertTrue(report.getReasonsList().contains("phase hostnet not run: " + WHY), report.getReasonsList().toString());
    }

    @Test
    void aFailAlreadyFoundMakesTheStoppedRunNotViable() {
        PreflightReport report = run().stoppedReport("preflight run", WHY, List.of(answered("a:7744", CheckResult.Status.FAIL)),
                List.of("a:7744"));
        assertEquals(Verdict.NOT_VIABLE, report.getVerdict());
    }
}
