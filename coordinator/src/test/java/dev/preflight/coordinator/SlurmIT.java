package dev.preflight.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.preflight.coordinator.discovery.SlurmNodelist;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.reports.JsonReport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/slurm/preflight.sbatch under a real Slurm (Debian's slurmctld, slurmd and munge on this
 * machine, see {@link SlurmCluster}): submitted as written, its agent step and its coordinator
 * run the fat jar with the fake CUDA runtime and NCCL on a fixture node tree, and the report it
 * writes is read back; --drain-failed drains through the real slurmctld; and SlurmNodelist
 * expands nodelists exactly as {@code scontrol show hostnames} does. Root only (CI runs as root).
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class SlurmIT {
    private static final Path ROOT = Paths.get(System.getProperty("preflight.root", "..")).toAbsolutePath().normalize();
    private static final Set<String> FINISHED = Set.of("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL",
            "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE");

    @TempDir
    static Path dir;
    private static SlurmCluster cluster;

    @BeforeAll
    static void start() throws Exception {
        String why = SlurmCluster.unavailableReason();
        assumeTrue(why == null, why);
        cluster = SlurmCluster.start(dir.resolve("slurm"));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * The PREFLIGHT command the script calls on every node: the fat jar, and for the agent a fixture
     * node tree in place of this machine's /proc and /sys, and a lock and work directory of its own;
     * for the run, small messages and few iterations, as the fake NCCL moves real bytes on a CPU.
     */
    private static Path launcher(String name, String scenario) throws IOException {
        Path tree = TestFixtures.distinctNode(scenario, dir.resolve(name + "-tree"), cluster.node);
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        String jar = AgentProcess.jar().toString();
        StringBuilder agentFlags = new StringBuilder();
        for (String flag : TestFixtures.rootFlags(tree)) {
            agentFlags.append(" '").append(flag).append('\'');
        }
        Path script = dir.resolve(name + "-preflight");
        Files.writeString(script, String.join("\n",
                "#!/bin/sh",
                "if [ \"$1\" = agent ]; then",
                "    shift",
                "    exec '" + java + "' -Xmx256m -jar '" + jar + "' agent" + agentFlags
                        + " --bench-lock-dir '" + dir.resolve(name + "-lock") + "' --bench-dir '" + dir.resolve(name + "-bench")
                        + "' \"$@\"",
                "fi",
                "if [ \"$1\" = run ]; then",
                "    shift",
                "    exec '" + java + "' -Xmx256m -jar '" + jar + "' run --max-bytes 64K --iters 3 \"$@\"",
                "fi",
                "exec '" + java + "' -Xmx256m -jar '" + jar + "' \"$@\"",
                ""));
        assertTrue(script.toFile().setExecutable(true));
        return script;
    }

    /** Submits the script as written, with this environment added; waits (bounded) until the job ends. */
    private static Job submit(String name, String scenario, Map<String, String> extra) throws Exception {
        String fake = System.getProperty("preflight.fake.dir");
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Map<String, String> env = new HashMap<>(cluster.environment());
        env.put("PREFLIGHT", launcher(name, scenario).toString());
        env.put("PREFLIGHT_PORT", Integer.toString(port));
        env.put("PREFLIGHT_INSECURE", "1");
        env.put("PREFLIGHT_OUT", dir.resolve(name + "-report").toString());
        env.put("PREFLIGHT_CUDART_LIBRARY", Paths.get(fake, "libfakecudart.so").toString());
        env.put("PREFLIGHT_NCCL_LIBRARY", Paths.get(fake, "libfakenccl.so").toString());
        env.put("FAKE_CUDA_DEVICE_COUNT", "2");
        env.putAll(extra);
        Path work = Files.createDirectories(dir.resolve(name + "-work"));
        String id = SlurmCluster.exec(List.of("sbatch", "--parsable", "--chdir=" + work,
                ROOT.resolve("deploy/slurm/preflight.sbatch").toString()), env, 30).strip();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(420);
        String show;
        while (true) {
            show = cluster.slurm(List.of("scontrol", "show", "job", "-o", id), 10);
            if (FINISHED.contains(field(show, "JobState"))) {
                break;
            }
            if (System.nanoTime() > deadline) {
                cluster.slurm(List.of("scancel", id), 10);
                throw new AssertionError("job " + id + " not finished after 420 s: " + show + output(work, id)
                        + cluster.logs());
            }
            Thread.sleep(1000);
        }
        return new Job(id, show, output(work, id), dir.resolve(name + "-report"));
    }

    private record Job(String id, String show, String output, Path report) {
        @Override
        public String toString() {
            return "job " + id + ": " + show + "\n" + output;
        }
    }

    private static String output(Path work, String id) throws IOException {
        Path file = work.resolve("preflight-" + id + ".out");
        return Files.exists(file) ? "\n== " + file.getFileName() + "\n" + Files.readString(file) : "";
    }

    private static String field(String show, String name) {
        Matcher matcher = Pattern.compile("(?:^|\\s)" + name + "=(\\S*)").matcher(show);
        return matcher.find() ? matcher.group(1) : "";
    }

    @Test
    void theScriptAsksForTheGpusItBenchesAndItsRunMeasuresThem() throws Exception {
        Job job = submit("quick", "memlock-unlimited", Map.of());
        assertTrue(job.show().contains("TresPerNode=gres:gpu:" + SlurmCluster.GPUS),
                "the job asks for the node's GPUs: " + job);
        assertTrue(Files.exists(job.report().resolve(JsonReport.FILE_NAME)), job.toString());
        PreflightReport report = JsonReport.read(job.report().resolve(JsonReport.FILE_NAME));
        assertEquals(List.of(cluster.node), report.getNodesList().stream().map(NodeReport::getNodeName).toList());
        assertEquals(NodeReport.Reachability.REACHABLE, report.getNodes(0).getReachability(), job.toString());
        assertEquals("quick", report.getProfile());
        RunPhase intraNode = report.getPhasesList().stream().filter(p -> p.getName().equals("intra_node")).findFirst()
                .orElseThrow(() -> new AssertionError("no intra_node phase: " + report.getPhasesList()));
        assertEquals(RunPhase.Outcome.COMPLETED, intraNode.getOutcome(), intraNode.toString());
        assertTrue(report.getMeasurements().getSeriesList().stream().anyMatch(s -> s.getRanks() == 2
                && s.getPoints(s.getPointsCount() - 1).getBusbwBytesPerSecond() > 0),
                "NCCL measured over the fake runtime's two GPUs: " + report.getMeasurements());
        CheckResult expected = report.getClusterChecksList().stream()
                .filter(c -> c.getId().equals("cluster.expected_nodes")).findFirst().orElseThrow();
        assertEquals(CheckResult.Status.PASS, expected.getStatus(), expected.toString());
        assertFalse(cluster.slurm(List.of("scontrol", "show", "node", cluster.node), 10).contains("DRAIN"),
                "nothing drained without --drain-failed");
    }

    @Test
    void drainFailedDrainsAFailingNodeWithTheReason() throws Exception {
        try {
            Job job = submit("drain", "docker-default", Map.of("PREFLIGHT_DRAIN_FAILED", "1"));
            PreflightReport report = JsonReport.read(job.report().resolve(JsonReport.FILE_NAME));
            List<String> failed = report.getNodes(0).getChecksList().stream()
                    .filter(c -> c.getStatus() == CheckResult.Status.FAIL && c.getNotCounted().isEmpty())
                    .map(CheckResult::getId).distinct().toList();
            assertFalse(failed.isEmpty(), "Docker's 64 KiB memlock fails the node: " + job);
            assertEquals("FAILED", field(job.show(), "JobState"), "exit 1, not viable: " + job);
            String node = cluster.slurm(List.of("scontrol", "show", "node", "-o", cluster.node), 10);
            assertTrue(field(node, "State").contains("DRAIN"), node);
            assertTrue(node.contains("Reason=preflight FAIL: " + String.join(", ", failed)), node);
            assertTrue(job.output().contains("preflight: drained " + cluster.node + " (preflight FAIL: "), job.output());
        } finally {
            cluster.slurm(List.of("scontrol", "update", "NodeName=" + cluster.node, "State=RESUME"), 10);
        }
    }

    @Test
    void nodelistsExpandAsScontrolShowHostnamesDoes() throws Exception {
        for (String nodelist : List.of("gpu-[01-04,07]", "node1", "a,b,c", "gpu[8-11]", "gpu[08-11]", "gpu[098-101]",
                "rack[1-2]-gpu[01-02]", "dgx-a[1,3],dgx-b[2-3],login", "h100-[7]", "gpu-[001-003,010]", "a.b[1-2]",
                "n[0-1].cluster.local", "x[9-10]y", "gpu-[1-2]a")) {
            List<String> slurm = Arrays.asList(cluster.slurm(List.of("scontrol", "show", "hostnames", nodelist), 10)
                    .strip().split("\n"));
            if (slurm.get(0).startsWith("Invalid hostlist")) {
                assertThrows(IllegalArgumentException.class, () -> SlurmNodelist.expand(nodelist),
                        nodelist + ": scontrol refuses it");
            } else {
                assertEquals(slurm, SlurmNodelist.expand(nodelist), nodelist);
            }
        }
    }
}
