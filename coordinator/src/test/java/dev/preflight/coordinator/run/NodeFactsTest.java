package dev.preflight.coordinator.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.coordinator.TestFixtures;
import dev.preflight.coordinator.cli.Main;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.reports.JsonReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The 8-GPU, 8-NIC fixture node through a real run: port rates per rail and facts in the fingerprint. */
class NodeFactsTest {
    @Test
    void eachNdrPortIsMeasuredAgainstTheRailItServes(@TempDir Path out) throws Exception {
        List<String> args = new ArrayList<>(List.of("run", "--quiet", "--out", out.toString(),
                "--checks", "host.topology,fabric.ib_ports"));
        args.addAll(TestFixtures.rootFlags("hgx-8gpu-cx7-ndr"));
        Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), args.toArray(String[]::new));
        PreflightReport report = JsonReport.read(out.resolve(JsonReport.FILE_NAME));

        List<Measurements.PortRate> ports = report.getMeasurements().getPortsList();
        assertEquals(8, ports.size(), ports.toString());
        Set<Integer> rails = new TreeSet<>();
        for (Measurements.PortRate port : ports) {
            assertEquals(50e9, port.getRateBytesPerSecond(), 1e6, "400 Gb/sec (4X NDR): " + port);
            assertEquals("InfiniBand", port.getLinkLayer());
            rails.add(port.getRail());
        }
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7), rails);

        var facts = report.getNodes(0).getFingerprint().getFactsMap();
        assertTrue(facts.keySet().stream().anyMatch(key -> key.startsWith("rail.GPU0 ")), facts.toString());
        assertTrue(facts.keySet().stream().anyMatch(key -> key.startsWith("port.mlx5_0:1")), facts.toString());
        assertTrue(facts.keySet().stream().noneMatch(key -> key.equals("hostname") || key.equals("boot_id")));
    }
}
