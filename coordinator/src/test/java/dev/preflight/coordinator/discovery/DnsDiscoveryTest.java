package dev.preflight.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.net.HostPort;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.coordinator.cli.ExitCodes;
import dev.preflight.coordinator.cli.Main;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * DNS discovery against names with several addresses. Runs in its own JVM (a surefire execution
 * of its own) whose resolver reads src/test/resources/dns/hosts: JDK 17 has no resolver SPI, and
 * the hosts file is fixed at JVM start.
 */
@EnabledIfSystemProperty(named = "jdk.net.hosts.file", matches = ".*dns/hosts",
        disabledReason = "needs the test resolver: runs in the coordinator's dns-discovery surefire execution")
class DnsDiscoveryTest {
    @TempDir
    Path dir;
    private final List<AgentServer> agents = new ArrayList<>();

    @AfterEach
    void stop() {
        agents.forEach(AgentServer::close);
    }

    @Test
    void everyAddressOfANameIsAnAgent() {
        DnsAgents.Resolution resolution = DnsAgents.resolve(DnsAgents.parse("dns:///dual.preflight.test:7744"));
        assertEquals(List.of("127.0.0.21:7744", "[0:0:0:0:0:0:0:1]:7744"),
                resolution.agents().stream().map(agent -> agent.address().toString()).toList());
        assertEquals("dns:///dual.preflight.test:7744", resolution.agents().get(0).origin());
        assertEquals(List.of(), DnsAgents.resolve(new HostPort("nowhere.preflight.test", 7744)).agents());
    }

    @Test
    void agentsBehindOneNameAnswerAndTheExpectedNodeWithoutOneFails() throws Exception {
        String[] addresses = {"127.0.0.11", "127.0.0.12", "127.0.0.13"};
        int port = 0;
        for (int i = 0; i < addresses.length; i++) {
            AgentServer agent = AgentServer.start(NettyServerBuilder.forAddress(new InetSocketAddress(addresses[i], port)),
                    HostFs.defaults(), AgentSettings.builder().nodeName("gpu-0" + (i + 1)).build());
            agents.add(agent);
            port = agent.port();
        }
        StringWriter err = new StringWriter();
        int exit = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "run",
                "--agents", "dns:///agents.preflight.test:" + port, "--expect-nodes", "gpu-[01-04]",
                "--checks", "host.shm", "--out", dir.toString(), "--quiet");
        assertEquals(ExitCodes.NOT_VIABLE, exit, err.toString());
        PreflightReport report = JsonReport.read(dir.resolve(JsonReport.FILE_NAME));
        assertEquals(List.of("gpu-01", "gpu-02", "gpu-03"), report.getNodesList().stream()
                .filter(node -> node.getReachability() == NodeReport.Reachability.REACHABLE)
                .map(NodeReport::getNodeName).sorted().toList());
        CheckResult expected = report.getClusterChecks(0);
        assertEquals(CheckResult.Status.FAIL, expected.getStatus());
        assertEquals("1 of 4 expected node(s) did not answer: gpu-04 (no agent found)", expected.getSummary());
        assertEquals("127.0.0.11, 127.0.0.12, 127.0.0.13", expected.getEvidenceList().stream()
                .filter(evidence -> evidence.getSource().startsWith("dns:///")).findFirst().orElseThrow().getValue());
    }
}
