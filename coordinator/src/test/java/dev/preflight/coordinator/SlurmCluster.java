package dev.preflight.coordinator;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Slurm on this machine: munged, slurmctld and slurmd (Debian's packages, installed when
 * missing) with a configuration written into a directory of the test's, one node named after
 * this host with eight GPUs as GRES (character devices made here: Slurm only counts and hands them
 * out; the fake CUDA runtime is what the bench sees). Needs root, as the daemons and mknod do.
 * Everything it started is stopped by {@link #close()}, also when starting failed halfway.
 */
public final class SlurmCluster implements AutoCloseable {
    static final List<String> PACKAGES = List.of("slurmctld", "slurmd", "slurm-client", "munge");
    public static final int GPUS = 8;

    private final Path dir;
    private final List<Process> daemons = new ArrayList<>();
    public final String node;

    private SlurmCluster(Path dir, String node) {
        this.dir = dir;
        this.node = node;
    }

    /** Why this machine cannot run it, or null. */
    public static String unavailableReason() throws IOException, InterruptedException {
        if (!"0".equals(exec(List.of("id", "-u"), Map.of(), 10).strip())) {
            return "needs root: runs munged, slurmctld and slurmd and makes device nodes (CI runs as root)";
        }
        String host = InetAddress.getLocalHost().getHostName();
        try {
            InetAddress.getByName(host);
        } catch (IOException e) {
            return "this host's name " + host + " does not resolve; the coordinator calls agents by node name";
        }
        return null;
    }

    /** Installs the packages when slurmctld is missing (apt-get, bounded in time). */
    static void install() throws IOException, InterruptedException {
        if (Files.isExecutable(Path.of("/usr/sbin/slurmctld")) && Files.isExecutable(Path.of("/usr/sbin/munged"))
                && Files.isExecutable(Path.of("/usr/bin/sbatch"))) {
            return;
        }
        Map<String, String> env = Map.of("DEBIAN_FRONTEND", "noninteractive");
        exec(List.of("apt-get", "update", "-q"), env, 300);
        List<String> install = new ArrayList<>(List.of("apt-get", "install", "-y", "-q", "--no-install-recommends"));
        install.addAll(PACKAGES);
        exec(install, env, 600);
    }

    public static SlurmCluster start(Path dir) throws IOException, InterruptedException {
        install();
        String node = InetAddress.getLocalHost().getHostName();
        SlurmCluster cluster = new SlurmCluster(dir, node);
        try {
            cluster.configure();
            cluster.daemon(List.of("/usr/sbin/munged", "-F", "-f", "--key-file=" + dir.resolve("munge.key"),
                    "--socket=" + dir.resolve("munge.socket"), "--pid-file=" + dir.resolve("munged.pid"),
                    "--log-file=" + dir.resolve("munged.log"), "--seed-file=" + dir.resolve("munged.seed")), "munged.out");
            cluster.waitFor(() -> Files.exists(dir.resolve("munge.socket")), "munged's socket");
            cluster.daemon(List.of("/usr/sbin/slurmctld", "-D", "-i", "-f", cluster.conf().toString()), "slurmctld.out");
            cluster.daemon(List.of("/usr/sbin/slurmd", "-D", "-f", cluster.conf().toString()), "slurmd.out");
            cluster.waitFor(() -> cluster.sinfo().equals("idle"), "node " + node + " idle in sinfo");
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    public Path conf() {
        return dir.resolve("slurm.conf");
    }

    /** SLURM_CONF for the Slurm commands, so they talk to this cluster. */
    public Map<String, String> environment() {
        return Map.of("SLURM_CONF", conf().toString());
    }

    private void configure() throws IOException, InterruptedException {
        Files.createDirectories(dir.resolve("state"));
        Files.createDirectories(dir.resolve("spool"));
        Files.createDirectories(dir.resolve("dev"));
        exec(List.of("mungekey", "--create", "--keyfile=" + dir.resolve("munge.key")), Map.of(), 30);
        for (int gpu = 0; gpu < GPUS; gpu++) {
            // the null device's numbers: a character device Slurm accepts as a GPU file
            exec(List.of("mknod", dir.resolve("dev/nvidia" + gpu).toString(), "c", "1", "3"), Map.of(), 10);
        }
        int ctld = freePort();
        int slurmd = freePort();
        Files.writeString(conf(), String.join("\n",
                "ClusterName=preflight-test",
                "SlurmctldHost=" + node + "(127.0.0.1)",
                "SlurmctldPort=" + ctld,
                "SlurmdPort=" + slurmd,
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                "AuthInfo=socket=" + dir.resolve("munge.socket"),
                "StateSaveLocation=" + dir.resolve("state"),
                "SlurmdSpoolDir=" + dir.resolve("spool"),
                "SlurmctldPidFile=" + dir.resolve("slurmctld.pid"),
                "SlurmdPidFile=" + dir.resolve("slurmd.pid"),
                "SlurmctldLogFile=" + dir.resolve("slurmctld.log"),
                "SlurmdLogFile=" + dir.resolve("slurmd.log"),
                // no cgroups in a test container: processes tracked through /proc, no task binding
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "GresTypes=gpu",
                "MpiDefault=none",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "NodeName=" + node + " NodeAddr=127.0.0.1 CPUs=" + Runtime.getRuntime().availableProcessors()
                        + " Gres=gpu:" + GPUS + " State=UNKNOWN",
                "PartitionName=test Nodes=" + node + " Default=YES MaxTime=INFINITE State=UP",
                ""));
        Files.writeString(dir.resolve("gres.conf"), "AutoDetect=off\nNodeName=" + node + " Name=gpu File="
                + dir.resolve("dev") + "/nvidia[0-" + (GPUS - 1) + "]\n");
    }

    private void daemon(List<String> command, String output) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(output).toFile());
        builder.environment().putAll(environment());
        daemons.add(builder.start());
    }

    private interface Condition {
        boolean holds() throws IOException, InterruptedException;
    }

    private void waitFor(Condition condition, String what) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IOException("no " + what + " after 60 s; " + logs());
            }
            Thread.sleep(250);
        }
    }

    private String sinfo() throws IOException, InterruptedException {
        return slurm(List.of("sinfo", "-h", "-N", "-o", "%T"), 10).strip();
    }

    /** Runs a Slurm command against this cluster; its output, or an exception with it when it fails. */
    public String slurm(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        return exec(command, environment(), timeoutSeconds);
    }

    /** The end of the daemons' logs, for a failure's message. */
    public String logs() throws IOException {
        StringBuilder logs = new StringBuilder();
        for (String log : List.of("slurmctld.log", "slurmd.log", "munged.out")) {
            Path file = dir.resolve(log);
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                logs.append("\n== ").append(log).append('\n')
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
            }
        }
        return logs.toString();
    }

    static String exec(List<String> command, Map<String, String> environment, long timeoutSeconds)
            throws IOException, InterruptedException {
        // to a file, not a pipe: apt-get says more than a pipe holds before it exits
        Path log = Files.createTempFile("preflight-slurm-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(new HashMap<>(environment));
            Process process = builder.start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
                throw new IOException(String.join(" ", command) + ": still running after " + timeoutSeconds + " s");
            }
            String text = Files.readString(log, StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + ": " + text.strip());
            }
            return text;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        // slurmd first, so it does not report to a controller already gone
        for (int i = daemons.size() - 1; i >= 0; i--) {
            Process daemon = daemons.get(i);
            daemon.destroy();
            if (!daemon.waitFor(15, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
                daemon.waitFor(5, TimeUnit.SECONDS);
            }
        }
        daemons.clear();
    }
}
