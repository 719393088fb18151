package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.outliers.Outliers;
import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Scope;
import java.util.Optional;

/**
 * The nodes a phase names as suspects, each as a WARN on that node with its evidence: what it
 * measured, the median of the nodes compared, and the threshold it fell below.
 */
final class SuspectChecks {
    private final BenchResults results;
    private final Optional<Outliers.Settings> outliers;

    /** @param outliers the outlier test that named the suspects, quoted as each check's threshold */
    SuspectChecks(BenchResults results, Optional<Outliers.Settings> outliers) {
        this.results = results;
        this.outliers = outliers;
    }

    /** A WARN node check for each suspect; nothing for the nodes that are not. */
    void report(String id, String what, String subject, NodeOutliers.Suspects suspects, String remediation) {
        for (String node : suspects.nodes()) {
            results.addNodeCheck(node, CheckResult.newBuilder().setId(id).setScope(Scope.HOST)
                    .setStatus(CheckResult.Status.WARN)
                    .setSubject(subject)
                    .setSummary(node + ": " + what + " measured " + Bandwidths.format(suspects.values().get(node))
                            + ", an outlier against the median " + Bandwidths.format(suspects.median()) + " of "
                            + suspects.values().size() + " nodes (the worse of two measurements)")
                    .setObserved(Bandwidths.format(suspects.values().get(node)))
                    .setExpected("at least " + Bandwidths.format(suspects.threshold()))
                    .setThreshold(outliers.map(Outliers.Settings::describe).orElse(""))
                    .setRemediation(remediation)
                    .build());
        }
    }
}
