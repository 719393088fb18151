package dev.preflight.coordinator.cluster;

/** One write into the cluster (a drain, a label, a taint, the summary) and the line that says how it went. */
public record Written(boolean ok, String line) {
    static Written done(String line) {
        return new Written(true, line);
    }

    static Written failed(String line) {
        return new Written(false, line);
    }
}
