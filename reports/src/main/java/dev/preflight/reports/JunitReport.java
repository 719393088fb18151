package dev.preflight.reports;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import java.io.StringWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * JUnit XML as CI systems ingest it (valid against the Jenkins xUnit junit-10.xsd): a testsuite
 * for the cluster and one per node, a testcase per result. FAIL is a failure, ERROR an error,
 * SKIP skipped, WARN a pass with a severity property; the measured value and the threshold are
 * properties. The schema allows properties only on a testsuite, so each is named after its
 * testcase ("host.shm.threshold"), and the testcase's system-out repeats them for people.
 * A result that does not count toward the verdict is skipped, saying why.
 */
public final class JunitReport {
    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private JunitReport() {}

    private record Suite(String name, String hostname, List<CheckResult> cases, List<String[]> properties) {}

    public static String render(PreflightReport report) {
        List<Suite> suites = new ArrayList<>();
        List<CheckResult> clusterCases = new ArrayList<>(report.getClusterChecksList());
        for (RunPhase phase : report.getPhasesList()) {
            if (phase.getOutcome() == RunPhase.Outcome.FAILED) {
                clusterCases.add(CheckResult.newBuilder().setId("phase." + phase.getName())
                        .setStatus(CheckResult.Status.ERROR).setSummary("phase failed: " + phase.getError()).build());
            }
        }
        List<String[]> clusterProperties = new ArrayList<>();
        clusterProperties.add(new String[] {"verdict", report.getVerdict().name()});
        clusterProperties.add(new String[] {"tool_version", report.getToolVersion()});
        if (!report.getScoring().getPolicySource().isEmpty()) {
            clusterProperties.add(new String[] {"policy", report.getScoring().getPolicySource()});
        }
        for (String reason : report.getReasonsList()) {
            clusterProperties.add(new String[] {"reason", reason});
        }
        suites.add(new Suite("cluster", "", clusterCases, clusterProperties));
        for (NodeReport node : report.getNodesList()) {
            List<CheckResult> cases = new ArrayList<>();
            if (node.getReachability() != NodeReport.Reachability.REACHABLE) {
                cases.add(CheckResult.newBuilder().setId("node.reachable").setStatus(CheckResult.Status.ERROR)
                        .setSummary(node.getReachability().name().toLowerCase(Locale.ROOT) + ": " + node.getError()).build());
            }
            cases.addAll(node.getChecksList());
            List<String[]> properties = new ArrayList<>();
            properties.add(new String[] {"address", node.getAddress()});
            suites.add(new Suite(Names.node(node), node.getHostname(), cases, properties));
        }

        StringWriter text = new StringWriter();
        try {
            XMLStreamWriter xml = XMLOutputFactory.newInstance().createXMLStreamWriter(text);
            xml.writeStartDocument("UTF-8", "1.0");
            newline(xml, 0);
            xml.writeStartElement("testsuites");
            attribute(xml, "name", "preflight");
            attribute(xml, "tests", Integer.toString(suites.stream().mapToInt(s -> s.cases().size()).sum()));
            attribute(xml, "failures", Long.toString(suites.stream().mapToLong(s -> count(s, CheckResult.Status.FAIL)).sum()));
            attribute(xml, "errors", Long.toString(suites.stream().mapToLong(s -> count(s, CheckResult.Status.ERROR)).sum()));
            attribute(xml, "time", seconds(suites.stream().flatMap(s -> s.cases().stream())
                    .mapToLong(CheckResult::getDurationMicros).sum()));
            for (Suite suite : suites) {
                writeSuite(xml, suite, report);
            }
            newline(xml, 0);
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("JUnit XML cannot be written", e);
        }
        return text + "\n";
    }

    private static void writeSuite(XMLStreamWriter xml, Suite suite, PreflightReport report) throws XMLStreamException {
        newline(xml, 1);
        xml.writeStartElement("testsuite");
        attribute(xml, "name", suite.name());
        attribute(xml, "tests", Integer.toString(suite.cases().size()));
        attribute(xml, "failures", Long.toString(count(suite, CheckResult.Status.FAIL)));
        attribute(xml, "errors", Long.toString(count(suite, CheckResult.Status.ERROR)));
        attribute(xml, "skipped", Long.toString(count(suite, CheckResult.Status.SKIP)));
        attribute(xml, "time", seconds(suite.cases().stream().mapToLong(CheckResult::getDurationMicros).sum()));
        if (report.hasStartedAt()) {
            attribute(xml, "timestamp", TIMESTAMP.format(Instant.ofEpochSecond(report.getStartedAt().getSeconds())));
        }
        if (!suite.hostname().isEmpty()) {
            attribute(xml, "hostname", suite.hostname());
        }
        List<String[]> properties = new ArrayList<>(suite.properties());
        for (CheckResult check : suite.cases()) {
            String name = Names.check(check);
            if (check.getStatus() == CheckResult.Status.WARN) {
                properties.add(new String[] {name + ".severity", "warn"});
            }
            String measured = measured(check);
            if (!measured.isEmpty()) {
                properties.add(new String[] {name + ".measured", measured});
            }
            String threshold = threshold(check);
            if (!threshold.isEmpty()) {
                properties.add(new String[] {name + ".threshold", threshold});
            }
        }
        newline(xml, 2);
        xml.writeStartElement("properties");
        for (String[] property : properties) {
            newline(xml, 3);
            xml.writeEmptyElement("property");
            attribute(xml, "name", property[0]);
            attribute(xml, "value", property[1]);
        }
        newline(xml, 2);
        xml.writeEndElement();
        for (CheckResult check : suite.cases()) {
            writeCase(xml, suite, check);
        }
        newline(xml, 1);
        xml.writeEndElement();
    }

    private static void writeCase(XMLStreamWriter xml, Suite suite, CheckResult check) throws XMLStreamException {
        newline(xml, 2);
        xml.writeStartElement("testcase");
        attribute(xml, "name", Names.check(check));
        attribute(xml, "classname", "preflight." + suite.name());
        attribute(xml, "time", seconds(check.getDurationMicros()));
        String message = check.getStatus().name() + ": " + check.getSummary();
        if (!check.getNotCounted().isEmpty() && isProblem(check.getStatus())) {
            element(xml, "skipped", "not counted (" + check.getNotCounted() + "); " + message, check.getStatus().name());
        } else {
            switch (check.getStatus()) {
                case FAIL:
                    element(xml, "failure", check.getSummary(), "FAIL", details(check));
                    break;
                case ERROR:
                    element(xml, "error", check.getSummary(), "ERROR", details(check));
                    break;
                case SKIP:
                    element(xml, "skipped", check.getSummary(), "SKIP");
                    break;
                default:
                    break;
            }
        }
        newline(xml, 3);
        xml.writeStartElement("system-out");
        xml.writeCharacters(clean(details(check)));
        xml.writeEndElement();
        newline(xml, 2);
        xml.writeEndElement();
    }

    private static void element(XMLStreamWriter xml, String name, String message, String type, String... body)
            throws XMLStreamException {
        newline(xml, 3);
        xml.writeStartElement(name);
        attribute(xml, "message", message);
        attribute(xml, "type", type);
        if (body.length > 0) {
            xml.writeCharacters(clean(body[0]));
        }
        xml.writeEndElement();
    }

    private static String details(CheckResult check) {
        List<String> lines = new ArrayList<>();
        lines.add(check.getStatus().name() + ": " + check.getSummary());
        if (!check.getObserved().isEmpty()) {
            lines.add("observed: " + check.getObserved());
        }
        if (!check.getExpected().isEmpty()) {
            lines.add("expected: " + check.getExpected());
        }
        String measured = measured(check);
        if (!measured.isEmpty()) {
            lines.add("measured: " + measured);
        }
        if (!check.getThreshold().isEmpty()) {
            lines.add("threshold: " + check.getThreshold());
        }
        if (!check.getRemediation().isEmpty()) {
            lines.add("fix: " + check.getRemediation());
        }
        return String.join("\n", lines);
    }

    private static String measured(CheckResult check) {
        String numbers = Names.measured(check);
        return numbers.isEmpty() ? check.getObserved() : numbers;
    }

    private static String threshold(CheckResult check) {
        return check.getThreshold().isEmpty() ? check.getExpected() : check.getThreshold();
    }

    private static boolean isProblem(CheckResult.Status status) {
        return status == CheckResult.Status.FAIL || status == CheckResult.Status.WARN || status == CheckResult.Status.ERROR;
    }

    private static long count(Suite suite, CheckResult.Status status) {
        return suite.cases().stream().filter(c -> junitStatus(c) == status).count();
    }

    /** What the testcase shows as: not-counted problems are skipped. */
    private static CheckResult.Status junitStatus(CheckResult check) {
        return !check.getNotCounted().isEmpty() && isProblem(check.getStatus()) ? CheckResult.Status.SKIP : check.getStatus();
    }

    private static String seconds(long micros) {
        return String.format(Locale.ROOT, "%.3f", micros / 1e6);
    }

    private static void attribute(XMLStreamWriter xml, String name, String value) throws XMLStreamException {
        xml.writeAttribute(name, clean(value));
    }

    private static void newline(XMLStreamWriter xml, int depth) throws XMLStreamException {
        xml.writeCharacters("\n" + "  ".repeat(depth));
    }

    /** XML 1.0 cannot carry most control characters, even escaped; a stray one in a value must not void the file. */
    static String clean(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            boolean allowed = c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF)
                    || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
            out.appendCodePoint(allowed ? c : 0xFFFD);
        });
        return out.toString();
    }
}
