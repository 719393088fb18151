package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.Verdict;
import dev.preflight.reports.JsonReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two real agent processes on loopback ports and the coordinator, all from the fat jar. */
class TwoAgentsIT {
    @TempDir
    Path out;

    /** A copy of a fixture tree with its own hostname and boot id, as a separate machine would have. */
    private List<String> agentArgs(String nodeName, String scenario) throws IOException {
        Path tree = TestFixtures.distinctNode(scenario, out.resolve("trees").resolve(nodeName), nodeName + ".cluster");
        List<String> args = new ArrayList<>(List.of("--node-name", nodeName));
        args.addAll(TestFixtures.rootFlags(tree));
        return args;
    }

    @Test
    void bothNodesAreInTheReportAndTheFailingOneDecides() throws Exception {
        try (AgentProcess good = AgentProcess.start(agentArgs("node-a", "memlock-unlimited"));
             AgentProcess bad = AgentProcess.start(agentArgs("node-b", "docker-default"))) {
            Process coordinator = new ProcessBuilder(AgentProcess.javaCommand(
                    "run", "--agents", good.address() + "," + bad.address(), "--checks", "host.memlock,host.shm",
                    "--out", out.toString()))
                    .redirectErrorStream(true).start();
            String output = new String(coordinator.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(coordinator.waitFor(60, TimeUnit.SECONDS), output);
            assertEquals(1, coordinator.exitValue(), output);

            PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
            assertEquals(Verdict.NOT_VIABLE, report.getVerdict());
            assertEquals(List.of("node-a", "node-b"), report.getNodesList().stream().map(NodeReport::getNodeName).toList());
            assertTrue(report.getNodesList().stream().allMatch(n -> n.getReachability() == NodeReport.Reachability.REACHABLE));
            assertTrue(report.getReasons(0).startsWith("node node-b: "), report.getReasons(0));
            assertEquals(List.of("cluster.consistency", "cluster.identity", "cluster.clock",
                            "cluster.host_network", "cluster.rendezvous", "interconnect.measured"),
                    report.getClusterChecksList().stream().map(CheckResult::getId).toList());
            assertEquals(1, report.getHostNetwork().getLinksCount(), "two nodes: one pair");
            assertTrue(report.getHostNetwork().getLinks(0).getThroughputBytesPerSecond() > 0);
            assertTrue(report.getHostNetwork().getLinks(0).getRendezvousChecked());
            // no GPUs, so no NCCL ran between the nodes: that is said, and everything else passes
            assertTrue(report.getClusterChecksList().stream().allMatch(c -> c.getStatus()
                    == (c.getId().equals("interconnect.measured") ? CheckResult.Status.WARN : CheckResult.Status.PASS)),
                    report.getClusterChecksList().toString());
            assertTrue(output.contains("node node-a (" + good.address() + ")"), output);
        }
    }

    @Test
    void sigtermShutsTheAgentDownGracefully() throws Exception {
        AgentProcess agent = AgentProcess.start(agentArgs("node-a", "memlock-unlimited"));
        try {
            agent.process().destroy();
            assertTrue(agent.process().waitFor(15, TimeUnit.SECONDS), "agent still running 15 s after SIGTERM");
            // the agent handles SIGTERM itself: it drains, stops and exits 0, as its help says
            assertEquals(0, agent.process().exitValue(), String.join("\n", agent.output()));
        } finally {
            agent.close();
        }
    }
}
