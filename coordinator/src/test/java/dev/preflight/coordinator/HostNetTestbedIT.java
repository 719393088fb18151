package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.HostLink;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five nodes in network namespaces, an agent on four of them, node 3's link shaped to 100 Mbit/s:
 * the host-network phase names node 3, and the expected fifth node is a FAIL naming it.
 */
class HostNetTestbedIT {
    @TempDir
    Path work;

    @Test
    void theShapedNodeIsNamedAndTheMissingExpectedNodeFails() throws Exception {
        String why = Testbed.unavailableReason();
        assumeTrue(why == null, why);
        try (Testbed bed = Testbed.up("hn" + (ProcessHandle.current().pid() % 10000), 5, work, "3=100mbit")) {
            for (int node = 1; node <= 4; node++) {
                // NCCL over sockets: the host network is then NCCL's data path, and scored
                bed.startAgent(node, "memlock-unlimited", Map.of("NCCL_IB_DISABLE", "1"));
            }
            Path out = work.resolve("out");
            Testbed.Result run = bed.coordinator(180, "run", "--agents", bed.agents(), "--expect-nodes", "node-[1-5]",
                    "--connect-timeout", "5s", "--phases", "hostnet", "--out", out.toString());
            PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));
            assertEquals(1, run.exitCode(), run.output());
            CheckResult expected = report.getClusterChecksList().stream()
                    .filter(c -> c.getId().equals("cluster.expected_nodes")).findFirst().orElseThrow();
            assertEquals(CheckResult.Status.FAIL, expected.getStatus(), expected.toString());
            assertTrue(expected.getSummary().startsWith("1 of 5 expected node(s) did not answer: node-5"),
                    expected.getSummary());
            CheckResult hostNet = report.getClusterChecksList().stream()
                    .filter(c -> c.getId().equals("cluster.host_network")).findFirst().orElseThrow(() ->
                            new AssertionError(run.output()));
            assertEquals(CheckResult.Status.WARN, hostNet.getStatus(), hostNet + run.output());
            assertTrue(hostNet.getSummary().startsWith("slow host network on node-3 at "), hostNet.getSummary());
            assertEquals(6, report.getHostNetwork().getLinksCount());
            // relative, not absolute: every link touching node 3 is slower than every link that does not
            double slowest = Double.MAX_VALUE;
            double fastestShaped = 0;
            for (HostLink link : report.getHostNetwork().getLinksList()) {
                boolean shaped = link.getFromNode().equals("node-3") || link.getToNode().equals("node-3");
                if (shaped) {
                    fastestShaped = Math.max(fastestShaped, link.getThroughputBytesPerSecond());
                } else {
                    slowest = Math.min(slowest, link.getThroughputBytesPerSecond());
                }
            }
            assertTrue(fastestShaped < slowest, report.getHostNetwork().toString());
            CheckResult rendezvous = report.getClusterChecksList().stream()
                    .filter(c -> c.getId().equals("cluster.rendezvous")).findFirst().orElseThrow();
            assertEquals(CheckResult.Status.PASS, rendezvous.getStatus(), rendezvous.toString());
        }
    }
}
