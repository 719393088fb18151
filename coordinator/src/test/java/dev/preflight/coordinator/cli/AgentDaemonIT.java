package dev.preflight.coordinator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.metrics.PrometheusText;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar as a node daemon: gRPC plus the metrics port, /metrics in Prometheus text with
 * the periodic round recorded, /healthz, the NFD file, and a clean stop on SIGTERM.
 */
class AgentDaemonIT {
    private static final Path JAR = Paths.get("target", "preflight.jar").toAbsolutePath();
    private static final Pattern METRICS = Pattern.compile("metrics on http://(\\S+)/metrics");

    @TempDir
    Path dir;

    @Test
    void theDaemonServesMetricsAndHealthAndStopsCleanly() throws Exception {
        Path features = dir.resolve("features.d").resolve("preflight");
        Process agent = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), "agent", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                "--node-name", "gpu-it", "--nfd-features-file", features.toString())
                .redirectErrorStream(true)
                .start();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
            String metricsAddress = null;
            List<String> lines = new ArrayList<>();
            for (String line = output.readLine(); line != null && lines.size() < 20; line = output.readLine()) {
                lines.add(line);
                Matcher metrics = METRICS.matcher(line);
                if (metrics.find()) {
                    metricsAddress = metrics.group(1);
                }
                if (line.contains("serving on")) {
                    break;
                }
            }
            assertTrue(metricsAddress != null, String.join("\n", lines));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://" + metricsAddress + "/healthz"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            // the first periodic round starts with the agent; wait (bounded) until it is recorded
            PrometheusText scrape = null;
            for (int attempt = 0; attempt < 100; attempt++) {
                scrape = PrometheusText.parse(http.send(HttpRequest.newBuilder(URI.create("http://" + metricsAddress
                        + "/metrics")).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body());
                if (!Double.isNaN(scrape.value("preflight_checks_last_run_timestamp_seconds")) && Files.exists(features)) {
                    break;
                }
                Thread.sleep(100);
            }
            assertTrue(scrape.value("preflight_checks_last_run_timestamp_seconds") > 0);
            assertEquals(1.0, scrape.value("preflight_build_info", "node", "gpu-it"));
            assertTrue(Files.readString(features).startsWith("# +expiry-time="));
            agent.destroy();
            assertTrue(agent.waitFor(20, TimeUnit.SECONDS), "the agent stops on SIGTERM");
            // the agent handles SIGTERM itself: a graceful shutdown, then exit 0 as its help says (not the JVM's 143)
            assertEquals(0, agent.exitValue());
        } finally {
            agent.destroyForcibly();
        }
    }
}
