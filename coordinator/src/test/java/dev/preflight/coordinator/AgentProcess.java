package dev.preflight.coordinator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real `preflight agent` process started from the fat jar on a free loopback port; the port is
 * read from the agent's "serving on HOST:PORT" line. Always destroyed by {@link #close()}.
 */
public final class AgentProcess implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("serving on ([0-9.]+):(\\d+)");

    private final Process process;
    private final String host;
    private final int port;
    private final List<String> output;

    private AgentProcess(Process process, String host, int port, List<String> output) {
        this.process = process;
        this.host = host;
        this.port = port;
        this.output = output;
    }

    public static Path jar() {
        String jar = System.getProperty("preflight.jar");
        if (jar == null) {
            throw new IllegalStateException("system property preflight.jar is not set (see coordinator/pom.xml)");
        }
        return Paths.get(jar);
    }

    public static List<String> javaCommand(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(List.of(args));
        return command;
    }

    /** Starts an agent and waits (at most 30 s) until it says it is serving. */
    public static AgentProcess start(List<String> agentArgs) throws IOException, InterruptedException {
        return start(agentArgs, java.util.Map.of());
    }

    /** An agent with these variables added to its environment (and its bench workers'). */
    public static AgentProcess start(List<String> agentArgs, java.util.Map<String, String> environment)
            throws IOException, InterruptedException {
        return startOn("127.0.0.1:0", agentArgs, environment);
    }

    /** An agent listening on {@code listen} (HOST:PORT, port 0 for a free one). */
    public static AgentProcess startOn(String listen, List<String> agentArgs, java.util.Map<String, String> environment)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("agent", "--listen", listen));
        args.addAll(agentArgs);
        ProcessBuilder builder = new ProcessBuilder(javaCommand(args.toArray(String[]::new))).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    lines.add(line);
                }
            } catch (IOException e) {
                output.add("(reading agent output: " + e.getMessage() + ")");
            }
        }, "agent-output");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line != null) {
                Matcher matcher = SERVING.matcher(line);
                if (matcher.find()) {
                    return new AgentProcess(process, matcher.group(1), Integer.parseInt(matcher.group(2)), output);
                }
            }
            if (!process.isAlive() && lines.isEmpty()) {
                break;
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("agent did not start serving: " + output);
    }

    public int port() {
        return port;
    }

    public String address() {
        return host + ":" + port;
    }

    public Process process() {
        return process;
    }

    public List<String> output() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
    }
}
