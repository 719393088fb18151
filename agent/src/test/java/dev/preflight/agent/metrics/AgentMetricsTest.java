package dev.preflight.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.agent.security.AuthInterceptor;
import dev.preflight.proto.ToolVersion;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Scope;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class AgentMetricsTest {
    private static final Instant AT = Instant.parse("2025-06-01T12:00:00Z");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static CheckResult result(String id, CheckResult.Status status, long micros) {
        return CheckResult.newBuilder().setId(id).setScope(Scope.HOST).setStatus(status).setDurationMicros(micros).build();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aScrapeIsPrometheusTextWithBaseUnitsAndExporterLabels() throws Exception {
        AgentMetrics metrics = new AgentMetrics("gpu-07");
        metrics.bind(new AuthInterceptor(Optional.empty(), Optional.empty()));
        metrics.recordChecks(List.of(result("fabric.ib_ports", CheckResult.Status.FAIL, 1500),
                result("gpu.ecc", CheckResult.Status.PASS, 250_000)), AT);
        metrics.recordBench(List.of(new BenchSample("all_reduce", "rail", "3",
                "GPU-6a2b9c1e-7f4d-4e0b-9d8e-0123456789ab", "mlx5_3", "1", 4.7e10)), AT.plusSeconds(60));
        AtomicBoolean healthy = new AtomicBoolean(true);
        try (MetricsHttpServer server = MetricsHttpServer.start(new InetSocketAddress("127.0.0.1", 0),
                metrics::scrape, healthy::get)) {
            HttpResponse<String> response = get(server.port(), "/metrics");
            assertEquals(200, response.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", response.headers().firstValue("Content-Type").get());
            PrometheusText scrape = PrometheusText.parse(response.body());

            assertEquals(1.0, scrape.value("preflight_check_status", "check", "fabric.ib_ports", "status", "fail",
                    "node", "gpu-07", "scope", "host"));
            assertEquals(0.0, scrape.value("preflight_check_status", "check", "fabric.ib_ports", "status", "pass"));
            assertEquals(5, scrape.find("preflight_check_status", "check", "gpu.ecc").size());
            assertEquals("gauge", scrape.type("preflight_check_status"));
            assertEquals(0.25, scrape.value("preflight_check_duration_seconds", "check", "gpu.ecc"));
            assertEquals(1.0, scrape.value("preflight_node_verdict", "verdict", "not_viable", "node", "gpu-07"));
            assertEquals(0.0, scrape.value("preflight_node_verdict", "verdict", "viable"));
            assertEquals(4, scrape.find("preflight_node_verdict").size());
            assertEquals(AT.getEpochSecond(), scrape.value("preflight_checks_last_run_timestamp_seconds"));
            assertEquals(4.7e10, scrape.value("preflight_nccl_bus_bandwidth_bytes_per_second", "collective", "all_reduce",
                    "phase", "rail", "gpu", "3", "UUID", "GPU-6a2b9c1e-7f4d-4e0b-9d8e-0123456789ab",
                    "device", "mlx5_3", "port", "1"));
            assertEquals(AT.getEpochSecond() + 60, scrape.value("preflight_bench_last_run_timestamp_seconds"));
            assertEquals(1.0, scrape.value("preflight_build_info", "version", ToolVersion.get()));
            assertEquals(0.0, scrape.value("preflight_rpc_unauthenticated_total"));
            assertEquals("counter", scrape.type("preflight_rpc_unauthenticated_total"));

            HttpResponse<String> health = get(server.port(), "/healthz");
            assertEquals(200, health.statusCode());
            healthy.set(false);
            assertEquals(503, get(server.port(), "/healthz").statusCode());
            assertEquals(404, get(server.port(), "/debug").statusCode());
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                    + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }
    }

    @Test
    void aNewRoundReplacesTheOldSeriesAndBenchBeforeAnyRunIsNaN() {
        AgentMetrics metrics = new AgentMetrics("gpu-07");
        metrics.recordChecks(List.of(result("gpu.ecc", CheckResult.Status.FAIL, 10)), AT);
        metrics.recordChecks(List.of(result("gpu.ecc", CheckResult.Status.PASS, 10)), AT.plusSeconds(300));
        PrometheusText scrape = PrometheusText.parse(metrics.scrape());
        assertEquals(1.0, scrape.value("preflight_check_status", "check", "gpu.ecc", "status", "pass"));
        assertEquals(0.0, scrape.value("preflight_check_status", "check", "gpu.ecc", "status", "fail"));
        assertEquals(1.0, scrape.value("preflight_node_verdict", "verdict", "viable"));
        assertEquals(0.0, scrape.value("preflight_node_verdict", "verdict", "not_viable"));
        assertTrue(Double.isNaN(scrape.value("preflight_bench_last_run_timestamp_seconds")));
        assertTrue(scrape.find("preflight_nccl_bus_bandwidth_bytes_per_second").isEmpty());
    }
}
