package dev.preflight.agent.check;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Collects what a check found across many subjects (ports, bridges, interfaces) and turns it into
 * one finding: the worst status decides, the summary leads with the worst problems, and each
 * distinct remediation appears once.
 */
public final class Tally {
    /** The summary names this many problems, then counts the rest. */
    static final int SUMMARY_ITEMS = 3;

    private final List<String> failures = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> unknowns = new ArrayList<>();
    private final Set<String> remediations = new LinkedHashSet<>();

    public Tally fail(String problem, String remediation) {
        failures.add(problem);
        remediations.add(remediation);
        return this;
    }

    public Tally warn(String problem, String remediation) {
        warnings.add(problem);
        remediations.add(remediation);
        return this;
    }

    /**
     * What could not be established (an unreadable or malformed file): only that subject is left
     * unjudged, the others keep their findings. Worse than a warning, milder than a failure.
     */
    public Tally unknown(String problem) {
        unknowns.add(problem);
        return this;
    }

    /** Reported, not judged: a fault of something nothing requires. */
    public Tally note(String fact) {
        notes.add(fact);
        return this;
    }

    public boolean failed() {
        return !failures.isEmpty();
    }

    public boolean warned() {
        return !warnings.isEmpty();
    }

    public List<String> notes() {
        return notes;
    }

    /** The finding: FAIL, ERROR (something could not be read), WARN, or PASS with {@code passSummary} (notes appended). */
    public Finding finding(String passSummary) {
        Finding finding;
        if (!failures.isEmpty()) {
            finding = Finding.fail(join(failures) + moreWarnings() + unjudged());
        } else if (!unknowns.isEmpty()) {
            finding = Finding.error("cannot judge " + join(unknowns) + "; the rest: "
                    + (warnings.isEmpty() ? passSummary : join(warnings)));
        } else if (!warnings.isEmpty()) {
            finding = Finding.warn(join(warnings));
        } else {
            finding = Finding.pass(notes.isEmpty() ? passSummary : passSummary + "; " + join(notes));
        }
        if (!remediations.isEmpty()) {
            finding.remediation(String.join("; ", remediations));
        }
        return finding;
    }

    private String unjudged() {
        return unknowns.isEmpty() ? "" : " (and " + unknowns.size() + " not judged: " + join(unknowns) + ")";
    }

    private String moreWarnings() {
        return warnings.isEmpty() ? "" : " (and " + warnings.size() + " warning" + (warnings.size() == 1 ? "" : "s") + ")";
    }

    private static String join(List<String> items) {
        if (items.size() <= SUMMARY_ITEMS) {
            return String.join("; ", items);
        }
        return String.join("; ", items.subList(0, SUMMARY_ITEMS)) + "; and " + (items.size() - SUMMARY_ITEMS) + " more";
    }
}
