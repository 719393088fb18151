package dev.preflight.agent.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The agent's plain HTTP port: {@code /metrics} for Prometheus and {@code /healthz} for kubelet
 * probes, which cannot speak gRPC over TLS. Read-only: nothing here takes input beyond the path.
 */
public final class MetricsHttpServer implements AutoCloseable {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final int THREADS = 2;

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * @param healthy what /healthz reports: 200 while true, 503 once false (shutting down)
     * @throws IOException when the address cannot be bound
     */
    public static MetricsHttpServer start(InetSocketAddress address, Supplier<String> metrics, BooleanSupplier healthy)
            throws IOException {
        HttpServer server = HttpServer.create(address, 16);
        AtomicInteger threads = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, task -> {
            Thread thread = new Thread(task, "preflight-metrics-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (exchange) {
                String method = exchange.getRequestMethod();
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    send(exchange, 405, "text/plain; charset=utf-8", "method not allowed\n");
                    return;
                }
                switch (exchange.getRequestURI().getPath()) {
                    case "/metrics":
                        send(exchange, 200, PROMETHEUS_TEXT, metrics.get());
                        break;
                    case "/healthz":
                        boolean ok = healthy.getAsBoolean();
                        send(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "shutting down\n");
                        break;
                    default:
                        send(exchange, 404, "text/plain; charset=utf-8", "not found: try /metrics or /healthz\n");
                        break;
                }
            }
        });
        server.start();
        return new MetricsHttpServer(server, executor);
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
