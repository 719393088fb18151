package dev.preflight.agent.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): every line must be a comment,
 * a HELP/TYPE line or a well-formed sample, or parsing fails; so a test that reads a scrape
 * through it proves the scrape is valid text format, not just that it contains some words.
 */
public final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)( -?\\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"(,|$)");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) "
            + "(counter|gauge|histogram|summary|untyped|info|stateset|gaugehistogram|unknown)");

    public record Sample(String name, Map<String, String> labels, double value) {}

    private final List<Sample> samples;
    private final Map<String, String> types;

    private PrometheusText(List<Sample> samples, Map<String, String> types) {
        this.samples = samples;
        this.types = types;
    }

    public static PrometheusText parse(String text) {
        List<Sample> samples = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("# TYPE ")) {
                Matcher type = TYPE.matcher(line);
                if (!type.matches()) {
                    throw new IllegalArgumentException("line " + (i + 1) + ": bad TYPE line: " + line);
                }
                if (types.put(type.group(1), type.group(2)) != null) {
                    throw new IllegalArgumentException("line " + (i + 1) + ": second TYPE for " + type.group(1));
                }
                continue;
            }
            if (line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                throw new IllegalArgumentException("line " + (i + 1) + ": not a sample: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (sample.group(3) != null && !sample.group(3).isEmpty()) {
                Matcher label = LABEL.matcher(sample.group(3));
                int end = 0;
                while (label.find() && label.start() == end) {
                    labels.put(label.group(1), label.group(2).replace("\\\"", "\"").replace("\\n", "\n")
                            .replace("\\\\", "\\"));
                    end = label.end();
                }
                if (end != sample.group(3).length()) {
                    throw new IllegalArgumentException("line " + (i + 1) + ": bad labels: " + sample.group(3));
                }
            }
            samples.add(new Sample(sample.group(1), labels, value(sample.group(4), i + 1)));
        }
        return new PrometheusText(samples, types);
    }

    private static double value(String text, int line) {
        switch (text) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("line " + line + ": bad value " + text);
                }
        }
    }

    public String type(String family) {
        return types.get(family);
    }

    /** The samples of one name whose labels include every given pair. */
    public List<Sample> find(String name, String... labelPairs) {
        List<Sample> found = new ArrayList<>();
        for (Sample sample : samples) {
            boolean matches = sample.name().equals(name);
            for (int i = 0; matches && i < labelPairs.length; i += 2) {
                matches = labelPairs[i + 1].equals(sample.labels().get(labelPairs[i]));
            }
            if (matches) {
                found.add(sample);
            }
        }
        return found;
    }

    /** The value of the one sample matching; fails when there is none or several. */
    public double value(String name, String... labelPairs) {
        List<Sample> found = find(name, labelPairs);
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples of " + name + " " + String.join(",", labelPairs));
        }
        return found.get(0).value();
    }
}
