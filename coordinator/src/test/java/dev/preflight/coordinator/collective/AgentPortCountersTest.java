package dev.preflight.coordinator.collective;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.AgentSettings;
import dev.preflight.agent.hostfs.HostFs;
import dev.preflight.agent.server.AgentServer;
import dev.preflight.coordinator.TestFixtures;
import dev.preflight.coordinator.fanout.AgentTarget;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CheckResult.Status;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Counters read from a real agent over gRPC, on a copy of the 8-NIC fixture node whose counters a "phase" moves. */
class AgentPortCountersTest {
    @Test
    void anErrorCounterThatRisesDuringAPhaseNamesThePort(@TempDir Path work) throws Exception {
        Path tree = TestFixtures.distinctNode("hgx-8gpu-cx7-ndr", work.resolve("node"), "gpu-07");
        String name = "counters-" + UUID.randomUUID();
        AgentServer agent = AgentServer.start(InProcessServerBuilder.forName(name), HostFs.under(tree),
                AgentSettings.builder().nodeName("gpu-07").build());
        ManagedChannel channel = InProcessChannelBuilder.forName(name).build();
        try {
            List<BenchNode> nodes = List.of(new BenchNode(0, "gpu-07", new AgentTarget("gpu-07", channel),
                    List.of(0), "", 0));
            AgentPortCounters counters = new AgentPortCounters(Duration.ofSeconds(10));

            counters.before("rails", nodes);
            Map<String, List<CheckResult>> quiet = counters.after("rails", nodes);
            assertEquals(Status.PASS, quiet.get("gpu-07").get(0).getStatus(), quiet.toString());
            assertEquals("no error counter rose on 8 port(s) during the rails phase", quiet.get("gpu-07").get(0).getSummary());

            counters.before("pairwise", nodes);
            try (var files = Files.walk(tree.resolve("sys/devices"))) {
                Path symbolErrors = files.filter(p -> p.endsWith("mlx5_0/ports/1/counters/symbol_error")).findFirst().orElseThrow();
                Files.writeString(symbolErrors, "17\n");
            }
            CheckResult result = counters.after("pairwise", nodes).get("gpu-07").get(0);
            assertEquals(Status.WARN, result.getStatus(), result.toString());
            assertEquals("fabric.port_counters", result.getId());
            assertTrue(result.getSummary().contains("mlx5_0:1 symbol_error +17"), result.getSummary());
            assertEquals("symbol_error_increase", result.getMeasurements(0).getName());
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            agent.close();
        }
    }

    @Test
    void aLinkThatWentDownUnderLoadFails() {
        CheckResult result = AgentPortCounters.judge("all_nodes",
                List.of(new dev.preflight.agent.hostfs.RdmaCounters.Rise("mlx5_3:1", "link_downed", 0, 2)), 8);
        assertEquals(Status.FAIL, result.getStatus());
        assertEquals("link_downed_increase", result.getMeasurements(0).getName());
    }
}
