package dev.preflight.agent.check.nccl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether an NCCL_* name is one NCCL reads. NCCL ignores a name it does not know without a word, so
 * a typo (NCCL_SOCKET_IFNAMES, NCCL_IB_HCAS, nccl_ib_hca) silently leaves the default in force.
 */
public final class NcclEnvNames {
    public enum Kind {
        KNOWN,
        /** A name NCCL once read and has since replaced. */
        RENAMED,
        /** Close to a known name: almost certainly a typo. */
        MISSPELLED,
        /** Not NCCL's, and close to nothing it reads (a plugin's own variable, perhaps). */
        UNKNOWN
    }

    public record Judgement(String name, Kind kind, Optional<String> suggestion) {}

    private static final Set<String> KNOWN = load();
    private static final Map<String, String> RENAMED = Map.of(
            "NCCL_IB_GDR_LEVEL", "NCCL_NET_GDR_LEVEL",
            "NCCL_IB_CUDA_SUPPORT", "NCCL_NET_GDR_LEVEL");
    /** nccl-tests' own variables share the prefix. */
    private static final String TESTS_PREFIX = "NCCL_TESTS_";

    private NcclEnvNames() {}

    public static Set<String> known() {
        return KNOWN;
    }

    public static Judgement judge(String name) {
        if (KNOWN.contains(name) || name.startsWith(TESTS_PREFIX)) {
            return new Judgement(name, Kind.KNOWN, Optional.empty());
        }
        if (RENAMED.containsKey(name)) {
            return new Judgement(name, Kind.RENAMED, Optional.of(RENAMED.get(name)));
        }
        String upper = name.toUpperCase(Locale.ROOT);
        if (KNOWN.contains(upper)) {
            return new Judgement(name, Kind.MISSPELLED, Optional.of(upper));
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : KNOWN) {
            int distance = distance(upper, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        // Names share the long "NCCL_" prefix, so allow more edits as the distinctive part grows.
        int allowed = upper.length() - 5 <= 6 ? 1 : 2;
        if (best != null && bestDistance <= allowed) {
            return new Judgement(name, Kind.MISSPELLED, Optional.of(best));
        }
        return new Judgement(name, Kind.UNKNOWN, Optional.empty());
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static Set<String> load() {
        Set<String> names = new TreeSet<>();
        try (InputStream in = NcclEnvNames.class.getResourceAsStream("nccl-env-names.txt")) {
            if (in == null) {
                throw new IllegalStateException("nccl-env-names.txt missing from the agent's resources");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String name = line.strip();
                if (!name.isEmpty() && !name.startsWith("#")) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Set.copyOf(names);
    }
}
