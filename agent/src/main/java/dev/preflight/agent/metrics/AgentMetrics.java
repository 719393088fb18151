package dev.preflight.agent.metrics;

import dev.preflight.agent.security.AuthInterceptor;
import dev.preflight.proto.ToolVersion;
import dev.preflight.proto.v1.CheckResult;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the agent exports on /metrics, in Prometheus' conventions: a {@code preflight_} prefix,
 * base units (seconds, bytes per second), one state-set series per check status, and no unbounded
 * label (no run ids, no error text). Every series carries the {@code node} label, since with host
 * networking the scrape address says little about which node a series is from.
 */
public final class AgentMetrics {
    /** Check ids come from the agent's catalog; the bound guards against a bug turning them unbounded. */
    static final int MAX_SERIES_PER_METRIC = 1000;
    private static final String[] VERDICTS = {"viable", "viable_with_warnings", "not_viable", "incomplete"};
    private static final CheckResult.Status[] STATUSES = {CheckResult.Status.PASS, CheckResult.Status.WARN,
        CheckResult.Status.FAIL, CheckResult.Status.SKIP, CheckResult.Status.ERROR};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MultiGauge checkStatus;
    private final MultiGauge checkDuration;
    private final MultiGauge nodeVerdict;
    private final MultiGauge busBandwidth;
    private final AtomicReference<Double> checksLastRun = new AtomicReference<>(Double.NaN);
    private final AtomicReference<Double> benchLastRun = new AtomicReference<>(Double.NaN);

    public AgentMetrics(String nodeName) {
        registry.config()
                .commonTags("node", nodeName)
                .meterFilter(MeterFilter.maximumAllowableTags("preflight.check.status", "check",
                        MAX_SERIES_PER_METRIC, MeterFilter.deny()));
        Gauge.builder("preflight.build.info", () -> 1)
                .description("The agent's version, as a label; always 1")
                .tags("version", ToolVersion.get())
                .register(registry);
        checkStatus = MultiGauge.builder("preflight.check.status")
                .description("1 for the status the host-scoped check had at its last run, 0 for the others")
                .register(registry);
        checkDuration = MultiGauge.builder("preflight.check.duration")
                .description("How long the check took at its last run")
                .baseUnit("seconds")
                .register(registry);
        nodeVerdict = MultiGauge.builder("preflight.node.verdict")
                .description("1 for this node's verdict from its host-scoped checks at their last run (any FAIL: "
                        + "not_viable, else any ERROR: incomplete, else any WARN: viable_with_warnings, else viable), "
                        + "0 for the others")
                .register(registry);
        Gauge.builder("preflight.checks.last.run.timestamp", checksLastRun, AtomicReference::get)
                .description("When the host-scoped checks last finished, Unix time; NaN before the first run")
                .baseUnit("seconds")
                .register(registry);
        busBandwidth = MultiGauge.builder("preflight.nccl.bus.bandwidth")
                .description("Bus bandwidth at large messages of the last bench (nccl-tests' busbw)")
                .baseUnit("bytes.per.second")
                .register(registry);
        Gauge.builder("preflight.bench.last.run.timestamp", benchLastRun, AtomicReference::get)
                .description("When the last bench finished, Unix time; NaN before the first")
                .baseUnit("seconds")
                .register(registry);
    }

    /** Counts the calls the agent refused for missing or wrong credentials. */
    public void bind(AuthInterceptor auth) {
        FunctionCounter.builder("preflight.rpc.unauthenticated", auth, AuthInterceptor::refused)
                .description("Calls refused with UNAUTHENTICATED")
                .register(registry);
    }

    /** The latest results of the periodic checks; they replace the previous ones. */
    public void recordChecks(List<CheckResult> results, Instant finished) {
        List<MultiGauge.Row<?>> status = new ArrayList<>();
        List<MultiGauge.Row<?>> duration = new ArrayList<>();
        for (CheckResult result : results) {
            String scope = result.getScope().name().toLowerCase(Locale.ROOT);
            for (CheckResult.Status candidate : STATUSES) {
                status.add(MultiGauge.Row.of(Tags.of("check", result.getId(), "scope", scope,
                        "status", candidate.name().toLowerCase(Locale.ROOT)), result.getStatus() == candidate ? 1 : 0));
            }
            duration.add(MultiGauge.Row.of(Tags.of("check", result.getId(), "scope", scope),
                    result.getDurationMicros() / 1e6));
        }
        checkStatus.register(status, true);
        checkDuration.register(duration, true);
        String verdict = verdict(results);
        List<MultiGauge.Row<?>> verdicts = new ArrayList<>();
        for (String candidate : VERDICTS) {
            verdicts.add(MultiGauge.Row.of(Tags.of("verdict", candidate), candidate.equals(verdict) ? 1 : 0));
        }
        nodeVerdict.register(verdicts, true);
        checksLastRun.set(seconds(finished));
    }

    /** The hook for the bench: its figures replace the previous bench's. */
    public void recordBench(List<BenchSample> samples, Instant finished) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (BenchSample sample : samples.subList(0, Math.min(samples.size(), MAX_SERIES_PER_METRIC))) {
            rows.add(MultiGauge.Row.of(Tags.of("collective", sample.collective(), "phase", sample.phase(),
                    "gpu", sample.gpu(), "UUID", sample.uuid(), "device", sample.device(), "port", sample.port()),
                    sample.busBandwidthBytesPerSecond()));
        }
        busBandwidth.register(rows, true);
        benchLastRun.set(seconds(finished));
    }

    /** The Prometheus text exposition format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /** The node's part of the run's verdict, as the coordinator scores host-scoped results. */
    static String verdict(List<CheckResult> results) {
        boolean warn = false;
        boolean error = false;
        for (CheckResult result : results) {
            switch (result.getStatus()) {
                case FAIL:
                    return "not_viable";
                case ERROR:
                    error = true;
                    break;
                case WARN:
                    warn = true;
                    break;
                default:
                    break;
            }
        }
        return error ? "incomplete" : warn ? "viable_with_warnings" : "viable";
    }

    private static double seconds(Instant instant) {
        return instant.getEpochSecond() + instant.getNano() / 1e9;
    }
}
