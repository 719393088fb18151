package dev.preflight.coordinator.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Drains the nodes that FAIL through Slurm's own {@code scontrol update}, with the failed checks
 * as the reason, so the scheduler stops placing jobs there and {@code sinfo -R} says why. Slurm
 * allows this to root, SlurmUser and accounts with AdminLevel Operator or Admin.
 */
public final class SlurmDrain {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** Long enough for a few check ids; sinfo -R shows the start of it anyway. */
    static final int MAX_REASON = 200;

    private final Path scontrol;

    private SlurmDrain(Path scontrol) {
        this.scontrol = scontrol;
    }

    /**
     * Finds scontrol on the PATH.
     *
     * @throws IOException when it is not there
     */
    public static SlurmDrain find(Map<String, String> env) throws IOException {
        for (String dir : env.getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, "scontrol");
            if (Files.isExecutable(candidate)) {
                return new SlurmDrain(candidate);
            }
        }
        throw new IOException("scontrol is not on the PATH: --drain-failed drains through Slurm's scontrol");
    }

    /** The reason Slurm records: the failed checks, as many as fit. */
    static String reason(NodeStanding outcome) {
        String reason = "preflight FAIL: " + String.join(", ", outcome.failed());
        return reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON - 1) + "…";
    }

    /** Drains every failing node; one line per node says what happened. */
    public List<Written> drain(List<NodeStanding> outcomes) throws InterruptedException {
        List<Written> lines = new ArrayList<>();
        for (NodeStanding outcome : outcomes) {
            if (!outcome.failing()) {
                continue;
            }
            if (!outcome.node().matches("[A-Za-z0-9._-]{1,255}")) {
                lines.add(Written.failed("could not drain '" + outcome.node() + "': not a Slurm node name"));
                continue;
            }
            String reason = reason(outcome);
            lines.add(run(List.of(scontrol.toString(), "update", "NodeName=" + outcome.node(), "State=DRAIN",
                    "Reason=" + reason), outcome.node(), reason));
        }
        return lines;
    }

    private Written run(List<String> command, String node, String reason) throws InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            return Written.failed("could not drain " + node + ": " + e.getMessage());
        }
        try {
            if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Written.failed("could not drain " + node + ": scontrol gave no answer in " + TIMEOUT.toSeconds() + " s");
            }
            String output = new String(process.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                return Written.failed("could not drain " + node + ": scontrol exited " + process.exitValue()
                        + (output.isEmpty() ? "" : ": " + output.lines().findFirst().orElse("")));
            }
            return Written.done("drained " + node + " (" + reason + ")");
        } catch (IOException e) {
            return Written.failed("could not drain " + node + ": " + e.getMessage());
        } finally {
            process.destroy();
        }
    }
}
