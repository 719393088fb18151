package dev.preflight.coordinator.discovery;

import dev.preflight.proto.text.TerminalText;
import java.util.ArrayList;
import java.util.List;

/**
 * Slurm's hostlist syntax, as in SLURM_JOB_NODELIST and {@code scontrol show hostnames}:
 * {@code gpu-[01-04,07]}, {@code a,b}, {@code rack[1-2]-gpu[01-02]} (every combination, in order).
 * A range keeps the zero padding of its lower bound. As in Slurm, text may follow a range only
 * before another range: {@code scontrol show hostnames} refuses {@code n[0-1].cluster.local}.
 */
public final class SlurmNodelist {
    /** Far above any allocation; a typo like [1-99999999] must not exhaust memory. */
    public static final int MAX_NODES = 65_536;

    private SlurmNodelist() {}

    /**
     * @throws IllegalArgumentException naming the expression and what is wrong with it
     */
    public static List<String> expand(String nodelist) {
        String text = nodelist == null ? "" : nodelist.strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("an empty Slurm nodelist");
        }
        List<String> names = new ArrayList<>();
        for (String term : splitTopLevel(text, nodelist)) {
            expandTerm(term, "", false, names, nodelist);
        }
        return names;
    }

    private static List<String> splitTopLevel(String text, String original) {
        List<String> terms = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '[') {
                if (++depth > 1) {
                    throw invalid(original, "nested '[' at character " + (i + 1));
                }
            } else if (c == ']') {
                if (--depth < 0) {
                    throw invalid(original, "']' without '[' at character " + (i + 1));
                }
            } else if (c == ',' && depth == 0) {
                terms.add(text.substring(start, i));
                start = i + 1;
            } else if (Character.isWhitespace(c)) {
                throw invalid(original, "whitespace at character " + (i + 1));
            }
        }
        if (depth != 0) {
            throw invalid(original, "'[' without ']'");
        }
        terms.add(text.substring(start));
        for (String term : terms) {
            if (term.isEmpty()) {
                throw invalid(original, "an empty name between commas");
            }
        }
        return terms;
    }

    private static void expandTerm(String rest, String prefix, boolean afterRange, List<String> names, String original) {
        int open = rest.indexOf('[');
        if (open < 0 && afterRange && !rest.isEmpty()) {
            throw invalid(original, "'" + rest + "' follows a range; Slurm takes text after a range only before another"
                    + " range");
        }
        if (open < 0) {
            String name = prefix + rest;
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw invalid(original, "'" + name + "' is not a host name");
            }
            if (names.size() >= MAX_NODES) {
                throw invalid(original, "more than " + MAX_NODES + " nodes");
            }
            names.add(name);
            return;
        }
        int close = rest.indexOf(']', open);
        String head = prefix + rest.substring(0, open);
        String tail = rest.substring(close + 1);
        for (String part : rest.substring(open + 1, close).split(",", -1)) {
            int dash = part.indexOf('-');
            String low = dash < 0 ? part : part.substring(0, dash);
            String high = dash < 0 ? part : part.substring(dash + 1);
            if (!low.matches("\\d{1,9}") || !high.matches("\\d{1,9}")) {
                throw invalid(original, "'[" + rest.substring(open + 1, close) + "]' holds '" + part
                        + "'; expected numbers and ranges like 01-04,07");
            }
            long from = Long.parseLong(low);
            long to = Long.parseLong(high);
            if (to < from) {
                throw invalid(original, "the range " + part + " runs backwards");
            }
            if (to - from >= MAX_NODES) {
                throw invalid(original, "more than " + MAX_NODES + " nodes");
            }
            for (long value = from; value <= to; value++) {
                String number = String.format("%0" + low.length() + "d", value);
                expandTerm(tail, head + number, true, names, original);
            }
        }
    }

    private static IllegalArgumentException invalid(String nodelist, String problem) {
        return new IllegalArgumentException("Slurm nodelist '" + TerminalText.excerpt(nodelist) + "': "
                + TerminalText.excerpt(problem));
    }
}
