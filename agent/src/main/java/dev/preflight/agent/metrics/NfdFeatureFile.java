package dev.preflight.agent.metrics;

import dev.preflight.proto.files.AtomicFiles;
import dev.preflight.proto.v1.CheckResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Node labels through node-feature-discovery's local source: a file in its {@code features.d}
 * directory, so the labels need no RBAC. Written atomically (NFD ignores the dot-named temporary
 * file), under NFD's 64 kB limit, and with an {@code # +expiry-time} so a dead agent's labels
 * disappear instead of vouching for a node nobody checks any more.
 */
public final class NfdFeatureFile {
    static final int MAX_BYTES = 64 * 1024;
    /** A Kubernetes label name (the part after the prefix): alphanumerics, '-', '_', '.', at most 63. */
    private static final Pattern LABEL_NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

    private final Path file;
    private final Duration lifetime;

    /**
     * @param lifetime how long the labels stay after a write; a few check intervals, so one missed
     *     run does not flap them
     */
    public NfdFeatureFile(Path file, Duration lifetime) {
        this.file = file;
        this.lifetime = lifetime;
    }

    public Path file() {
        return file;
    }

    public void write(List<CheckResult> results, Instant now) throws IOException {
        AtomicFiles.write(file, render(results, now, lifetime));
    }

    /**
     * {@code preflight.<check id>=<status>} per check and {@code preflight.healthy=true|false}
     * (false on any FAIL or ERROR); NFD adds its {@code feature.node.kubernetes.io/} prefix.
     */
    static String render(List<CheckResult> results, Instant now, Duration lifetime) {
        StringBuilder text = new StringBuilder();
        text.append("# +expiry-time=").append(now.plus(lifetime).truncatedTo(ChronoUnit.SECONDS)).append('\n');
        text.append("# written by the preflight agent: its host-scoped checks at ")
                .append(now.truncatedTo(ChronoUnit.SECONDS)).append('\n');
        boolean healthy = true;
        for (CheckResult result : results) {
            CheckResult.Status status = result.getStatus();
            healthy &= status != CheckResult.Status.FAIL && status != CheckResult.Status.ERROR;
            String name = "preflight." + result.getId();
            if (!LABEL_NAME.matcher(name).matches()) {
                continue;
            }
            String line = name + "=" + status.name().toLowerCase(Locale.ROOT) + "\n";
            if (text.length() + line.length() + 64 > MAX_BYTES) {
                break;
            }
            text.append(line);
        }
        text.append("preflight.healthy=").append(healthy).append('\n');
        if (text.toString().getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
            throw new IllegalStateException("NFD feature file over " + MAX_BYTES + " bytes");
        }
        return text.toString();
    }
}
