package dev.preflight.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.preflight.agent.security.AuthInterceptor;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Scope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/grafana's dashboard against what an agent really serves: every PromQL expression (and the
 * node variable's query) names only metrics a scrape holds, and only labels those metrics carry.
 */
class GrafanaDashboardTest {
    static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "preflight-dashboard.json");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without)\\s*\\(([^)]*)\\)");

    /** The names and labels one expression uses. */
    record Names(Set<String> metrics, Set<String> labels) {}

    /** A small PromQL reading: selectors' label matchers, by/without lists, then the bare names left. */
    static Names names(String expr) {
        Set<String> labels = new LinkedHashSet<>();
        String text = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
        Matcher braces = Pattern.compile("\\{([^}]*)\\}").matcher(text);
        while (braces.find()) {
            Matcher m = MATCHER.matcher(braces.group(1));
            while (m.find()) {
                labels.add(m.group(1));
            }
        }
        text = text.replaceAll("\\{[^}]*\\}", " ").replaceAll("\\[[^\\]]*\\]", " ");
        Matcher grouping = GROUPING.matcher(text);
        while (grouping.find()) {
            for (String label : grouping.group(1).split(",")) {
                if (!label.isBlank()) {
                    labels.add(label.strip());
                }
            }
        }
        text = GROUPING.matcher(text).replaceAll(" ");
        // label_values(metric, label) of a template variable
        Matcher values = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,\\s*([a-zA-Z_]+)\\s*\\)").matcher(text);
        Set<String> metrics = new LinkedHashSet<>();
        while (values.find()) {
            metrics.add(values.group(1));
            labels.add(values.group(2));
        }
        text = values.replaceAll(" ");
        Matcher id = IDENTIFIER.matcher(text);
        while (id.find()) {
            String name = id.group();
            boolean function = text.substring(id.end()).stripLeading().startsWith("(");
            boolean number = id.start() > 0 && Character.isDigit(text.charAt(id.start() - 1));
            if (!function && !number && !KEYWORDS.contains(name)) {
                metrics.add(name);
            }
        }
        return new Names(metrics, labels);
    }

    /** Every expr of every panel, and the template variables' queries. */
    static List<String> expressions(JsonObject dashboard) {
        List<String> exprs = new ArrayList<>();
        for (JsonElement panel : dashboard.getAsJsonArray("panels")) {
            JsonArray targets = panel.getAsJsonObject().getAsJsonArray("targets");
            for (JsonElement target : targets) {
                exprs.add(target.getAsJsonObject().get("expr").getAsString());
            }
        }
        for (JsonElement variable : dashboard.getAsJsonObject("templating").getAsJsonArray("list")) {
            JsonObject v = variable.getAsJsonObject();
            if (v.get("type").getAsString().equals("query")) {
                exprs.add(v.getAsJsonObject("query").get("query").getAsString());
            }
        }
        return exprs;
    }

    /** An agent's scrape with every metric it serves present: a round of checks, a bench, the auth counter. */
    private static PrometheusText scrape() {
        AgentMetrics metrics = new AgentMetrics("gpu-07");
        metrics.bind(new AuthInterceptor(Optional.empty(), Optional.empty()));
        metrics.recordChecks(List.of(
                CheckResult.newBuilder().setId("fabric.ib_ports").setScope(Scope.HOST).setStatus(CheckResult.Status.WARN)
                        .setDurationMicros(1500).build(),
                CheckResult.newBuilder().setId("gpu.ecc").setScope(Scope.HOST).setStatus(CheckResult.Status.PASS)
                        .setDurationMicros(250_000).build()), Instant.parse("2025-06-01T12:00:00Z"));
        metrics.recordBench(List.of(new BenchSample("all_reduce", "rail", "3", "GPU-6a2b9c1e-7f4d-4e0b-9d8e-0123456789ab",
                "mlx5_3", "1", 4.7e10)), Instant.parse("2025-06-01T12:01:00Z"));
        return PrometheusText.parse(metrics.scrape());
    }

    @Test
    void everyExpressionNamesMetricsAndLabelsTheAgentServes() throws Exception {
        JsonObject dashboard = JsonParser.parseString(Files.readString(DASHBOARD)).getAsJsonObject();
        PrometheusText scrape = scrape();
        List<String> exprs = expressions(dashboard);
        assertTrue(exprs.size() >= 10, exprs.toString());
        Set<String> used = new LinkedHashSet<>();
        for (String expr : exprs) {
            Names names = names(expr);
            assertFalse(names.metrics().isEmpty(), "no metric in " + expr);
            Set<String> labels = new LinkedHashSet<>();
            for (String metric : names.metrics()) {
                List<PrometheusText.Sample> samples = scrape.find(metric);
                assertFalse(samples.isEmpty(), expr + ": the agent serves no metric " + metric);
                samples.forEach(s -> labels.addAll(s.labels().keySet()));
                used.add(metric);
            }
            for (String label : names.labels()) {
                assertTrue(labels.contains(label), expr + ": label " + label + " is not on " + names.metrics()
                        + " (they carry " + labels + ")");
            }
        }
        // the four things the dashboard is for: verdict per node, check statuses, bus bandwidth per rail, check age
        assertTrue(used.containsAll(Set.of("preflight_node_verdict", "preflight_check_status",
                "preflight_nccl_bus_bandwidth_bytes_per_second", "preflight_checks_last_run_timestamp_seconds")), used.toString());
    }

    @Test
    void theReaderCatchesAMisspeltMetricOrLabel() {
        assertEquals(new Names(Set.of("preflight_check_status"), Set.of("node", "status", "check")),
                names("sum by (check) (preflight_check_status{node=~\"$node\", status!=\"pass\"})"));
        assertEquals(Set.of("preflight_checks_last_run_timestamp_second"),
                names("max(time() - preflight_checks_last_run_timestamp_second{node=~\"$node\"})").metrics());
        assertEquals(new Names(Set.of("preflight_rpc_unauthenticated_total"), Set.of("node")),
                names("sum by (node) (rate(preflight_rpc_unauthenticated_total[5m])) > 0.5"));
        assertTrue(scrape().find("preflight_checks_last_run_timestamp_second").isEmpty());
    }
}
