package dev.preflight.coordinator;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The network-namespace test bed (testbed/netns.sh) driven from a test: K nodes on a bridge, each
 * running a real agent from the fat jar in its own namespace with its own fixture tree (hostname,
 * boot id), and the coordinator run from the "coord" namespace. {@link #close()} tears everything
 * down, also when the test failed.
 */
public final class Testbed implements AutoCloseable {
    public static final int AGENT_PORT = 7744;
    /** Small heaps and the client compiler keep five JVMs on two cores responsive. */
    static final List<String> JVM_OPTIONS = List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final String id;
    private final int nodes;
    private final Path work;
    private final List<Process> agents = new ArrayList<>();

    private Testbed(String id, int nodes, Path work) {
        this.id = id;
        this.nodes = nodes;
        this.work = work;
    }

    /** Why the test bed cannot run here, or null when it can. */
    public static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root; running as " + System.getProperty("user.name");
        }
        if (!Files.isExecutable(Paths.get("/usr/sbin/ip")) && !Files.isExecutable(Paths.get("/sbin/ip"))
                && !Files.isExecutable(Paths.get("/usr/bin/ip"))) {
            return "iproute2 (ip) is not installed";
        }
        return null;
    }

    public static Path script() {
        return Paths.get(System.getProperty("preflight.root", ".."), "testbed", "netns.sh").toAbsolutePath().normalize();
    }

    /**
     * Creates the namespaces; shapes like "3=100mbit" limit a node's link both ways, "4~5=20mbit"
     * only the traffic between two nodes.
     */
    public static Testbed up(String id, int nodes, Path work, String... shapes) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(script().toString(), "up", id, Integer.toString(nodes)));
        command.addAll(List.of(shapes));
        Testbed bed = new Testbed(id, nodes, work);
        try {
            bed.exec(command, 60);
        } catch (IOException | RuntimeException e) {
            bed.close();
            throw e;
        }
        return bed;
    }

    /** (Re)shapes a node's link both ways, e.g. "5mbit", while the bed runs. */
    public void shape(int node, String rate) throws IOException, InterruptedException {
        exec(List.of(script().toString(), "shape", id, Integer.toString(node), rate), 60);
    }

    public static String address(int node) {
        return "198.18.0." + node;
    }

    public String agents() {
        List<String> addresses = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            addresses.add(address(i) + ":" + AGENT_PORT);
        }
        return String.join(",", addresses);
    }

    /**
     * Starts node i's agent on the fake CUDA and NCCL with two fake GPUs, its own node lock and bench
     * folder; extra environment (fault knobs) on top. The fake bootstraps on the namespace's eth0,
     * as NCCL would pick it: no address to set.
     */
    public Process startFakeGpuAgent(int node, Map<String, String> extraEnvironment) throws IOException, InterruptedException {
        String fake = System.getProperty("preflight.fake.dir");
        Map<String, String> env = new java.util.HashMap<>(Map.of("FAKE_CUDA_DEVICE_COUNT", "2", "FAKE_NCCL_HOST", "node-" + node));
        env.putAll(extraEnvironment);
        return startAgent(node, "memlock-unlimited", env,
                "--cudart-lib", Paths.get(fake, "libfakecudart.so").toString(),
                "--nccl-lib", Paths.get(fake, "libfakenccl.so").toString(),
                "--bench-lock-dir", work.resolve("lock-" + node).toString(),
                "--bench-dir", work.resolve("bench-" + node).toString());
    }

    /** Starts an agent in node i's namespace, named node-i, and waits until it serves. */
    public Process startAgent(int node, String scenario, Map<String, String> environment, String... extraArgs)
            throws IOException, InterruptedException {
        Path tree = TestFixtures.distinctNode(scenario, work.resolve("node-" + node), "node-" + node + ".testbed");
        List<String> command = new ArrayList<>(List.of(script().toString(), "exec", id, Integer.toString(node)));
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.addAll(List.of("-jar", AgentProcess.jar().toString(), "agent",
                "--listen", address(node) + ":" + AGENT_PORT, "--node-name", "node-" + node,
                // the test bed's addresses exist only inside namespaces this test made
                "--insecure"));
        command.addAll(TestFixtures.rootFlags(tree));
        command.addAll(List.of(extraArgs));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve("agent-" + node + ".log").toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
        agents.add(process);
        Path log = work.resolve("agent-" + node + ".log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).contains("serving on")) {
                return process;
            }
            if (!process.isAlive()) {
                break;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("agent on node " + node + " did not start: "
                + (Files.exists(log) ? Files.readString(log) : "(no output)"));
    }

    /** Runs one of the script's shaping commands on this bed: {@code shaping("link", "4", "5", "20mbit")}, {@code shaping("clear", "4")}. */
    public void shaping(String command, String... args) throws IOException, InterruptedException {
        List<String> line = new ArrayList<>(List.of(script().toString(), command, id));
        line.addAll(List.of(args));
        exec(line, 60);
    }

    /** Runs the coordinator in the coord namespace; returns its exit code and output. */
    public Result coordinator(long timeoutSeconds, String... args) throws IOException, InterruptedException {
        return coordinator(timeoutSeconds, line -> { }, args);
    }

    /** As {@link #coordinator(long, String...)}, handing each line of its output to {@code onLine} as it comes. */
    public Result coordinator(long timeoutSeconds, Consumer<String> onLine, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(script().toString(), "exec", id, "coord"));
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-jar", AgentProcess.jar().toString()));
        command.addAll(List.of(args));
        return run(command, Map.of(), timeoutSeconds, (process, line) -> onLine.accept(line));
    }

    /**
     * Runs a command with these variables added to its environment, handing each line of its output
     * (and the process) to {@code onLine} as it comes; killed when still running after the timeout.
     */
    public static Result run(List<String> command, Map<String, String> environment, long timeoutSeconds,
            BiConsumer<Process, String> onLine) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (output) {
                        output.append(line).append('\n');
                    }
                    onLine.accept(process, line);
                }
            } catch (IOException e) {
                synchronized (output) {
                    output.append("(reading the process's output: ").append(e.getMessage()).append(")\n");
                }
            }
        }, "process-output");
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            reader.join(5000);
            throw new IllegalStateException(command.get(0) + " still running after " + timeoutSeconds + " s: " + output);
        }
        reader.join(5000);
        synchronized (output) {
            return new Result(process.exitValue(), output.toString());
        }
    }

    public record Result(int exitCode, String output) {}

    private String exec(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IOException(String.join(" ", command) + ": still running after " + timeoutSeconds + " s");
        }
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + ": " + output);
        }
        return output;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        for (Process agent : agents) {
            agent.destroyForcibly();
        }
        exec(List.of(script().toString(), "down", id), 60);
    }
}
