package dev.preflight.coordinator.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.AgentGrpc;
import dev.preflight.proto.v1.GetNodeInfoRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * A performance benchmark, not a test (it runs only with -Dpreflight.perf=true): the shipped
 * agent, in its own process, under N concurrent clients (default 100), each on its own
 * connection, calling health and node info alternately for a fixed time (default 30 s) on
 * loopback. Prints throughput, latency percentiles, errors and the agent's resident memory.
 *
 *   mvn -B -q -DskipTests package
 *   mvn -B -q -pl coordinator -am test -Dtest=AgentLoadPerfTest -Dsurefire.failIfNoSpecifiedTests=false -Dpreflight.perf=true
 *       [-Dpreflight.perf.agentJvm=-Xmx128m] [-Dpreflight.perf.clients=100] [-Dpreflight.perf.seconds=30]
 */
class AgentLoadPerfTest {
    private static final Path JAR = Paths.get("target", "preflight.jar").toAbsolutePath();
    private static final int CLIENTS = Integer.getInteger("preflight.perf.clients", 100);
    private static final int SECONDS = Integer.getInteger("preflight.perf.seconds", 30);
    /** JVM options for the agent, e.g. -Xmx128m as the DaemonSet's memory limit implies. */
    private static final String AGENT_JVM = System.getProperty("preflight.perf.agentJvm", "");
    private static final int WARMUP_SECONDS = 5;
    private static final Pattern SERVING = Pattern.compile("serving on 127\\.0\\.0\\.1:(\\d+)");

    @Test
    @EnabledIfSystemProperty(named = "preflight.perf", matches = "true", disabledReason = "a performance benchmark: run with -Dpreflight.perf=true")
    void agentUnderConcurrentClients() throws Exception {
        assertTrue(Files.exists(JAR), "build the jar first: mvn -B -q -DskipTests package");
        List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
        if (!AGENT_JVM.isBlank()) {
            command.addAll(List.of(AGENT_JVM.strip().split("\\s+")));
        }
        command.addAll(List.of("-jar", JAR.toString(), "agent", "--listen", "127.0.0.1:0"));
        Process agent = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<ManagedChannel> channels = new ArrayList<>();
        try {
            BufferedReader output = new BufferedReader(new InputStreamReader(agent.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            for (String line = output.readLine(); line != null; line = output.readLine()) {
                Matcher serving = SERVING.matcher(line);
                if (serving.find()) {
                    port = Integer.parseInt(serving.group(1));
                    break;
                }
            }
            assertTrue(port > 0, "the agent did not say where it serves");
            long idleRss = residentKib(agent.pid(), "VmRSS");
            for (int i = 0; i < CLIENTS; i++) {
                channels.add(NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build());
            }
            run(channels, WARMUP_SECONDS, new long[CLIENTS][], new AtomicLong(), new ConcurrentHashMap<>());
            long[][] latencies = new long[CLIENTS][];
            AtomicLong calls = new AtomicLong();
            Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
            long started = System.nanoTime();
            run(channels, SECONDS, latencies, calls, errors);
            double elapsed = (System.nanoTime() - started) / 1e9;
            long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
            System.out.printf("agent JVM options '%s'; clients %d, %d s: %d calls, %.0f calls/s, latency p50 %.2f ms, p99 %.2f ms, max %.2f ms,"
                    + " errors %s, agent RSS idle %d MiB, after %d MiB, peak %d MiB, cores %d%n",
                    AGENT_JVM, CLIENTS, SECONDS, calls.get(), calls.get() / elapsed, percentile(all, 0.50), percentile(all, 0.99),
                    all[all.length - 1] / 1e6, errors.isEmpty() ? "0" : errors.toString(), idleRss / 1024,
                    residentKib(agent.pid(), "VmRSS") / 1024, residentKib(agent.pid(), "VmHWM") / 1024,
                    Runtime.getRuntime().availableProcessors());
            assertEquals(Map.of(), Map.copyOf(errors));
        } finally {
            for (ManagedChannel channel : channels) {
                channel.shutdownNow();
            }
            agent.destroy();
            if (!agent.waitFor(20, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
    }

    /** Every client calls back to back until the time is up; each keeps its own latencies. */
    private static void run(List<ManagedChannel> channels, int seconds, long[][] latencies, AtomicLong calls,
            Map<String, AtomicLong> errors) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        CountDownLatch done = new CountDownLatch(channels.size());
        for (int i = 0; i < channels.size(); i++) {
            int client = i;
            Thread thread = new Thread(() -> {
                AgentGrpc.AgentBlockingStub agent = AgentGrpc.newBlockingStub(channels.get(client));
                HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channels.get(client));
                long[] mine = new long[1024];
                int count = 0;
                try {
                    for (long call = 0; System.nanoTime() < deadline; call++) {
                        long start = System.nanoTime();
                        try {
                            if (call % 2 == 0) {
                                health.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
                            } else {
                                agent.withDeadlineAfter(5, TimeUnit.SECONDS).getNodeInfo(GetNodeInfoRequest.getDefaultInstance());
                            }
                        } catch (StatusRuntimeException e) {
                            errors.computeIfAbsent(e.getStatus().getCode().name(), code -> new AtomicLong()).incrementAndGet();
                        }
                        if (count == mine.length) {
                            mine = Arrays.copyOf(mine, count * 2);
                        }
                        mine[count++] = System.nanoTime() - start;
                    }
                } finally {
                    latencies[client] = Arrays.copyOf(mine, count);
                    calls.addAndGet(count);
                    done.countDown();
                }
            }, "bench-client-" + i);
            thread.setDaemon(true);
            thread.start();
        }
        assertTrue(done.await(seconds + 60L, TimeUnit.SECONDS), "clients did not finish");
    }

    private static double percentile(long[] sorted, double fraction) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] / 1e6;
    }

    private static long residentKib(long pid, String field) throws Exception {
        for (String line : Files.readAllLines(Paths.get("/proc", String.valueOf(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("\\D", ""));
            }
        }
        return -1;
    }
}
