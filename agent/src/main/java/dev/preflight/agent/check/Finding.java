package dev.preflight.agent.check;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Fact;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.PortFact;
import dev.preflight.proto.v1.RailFact;
import dev.preflight.proto.v1.RecommendedNcclSetting;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What a check found; {@link CheckRunner} adds the id, scope, evidence and duration. */
public final class Finding {
    private final CheckResult.Status status;
    private final String summary;
    private String observed = "";
    private String expected = "";
    private String remediation = "";
    private final List<Measurement> measurements = new ArrayList<>();
    private final List<RecommendedNcclSetting> ncclSettings = new ArrayList<>();
    private final List<Fact> facts = new ArrayList<>();
    private final List<PortFact> ports = new ArrayList<>();
    private final List<RailFact> rails = new ArrayList<>();

    private Finding(CheckResult.Status status, String summary) {
        this.status = Objects.requireNonNull(status);
        this.summary = Objects.requireNonNull(summary);
    }

    public static Finding pass(String summary) {
        return new Finding(CheckResult.Status.PASS, summary);
    }

    public static Finding warn(String summary) {
        return new Finding(CheckResult.Status.WARN, summary);
    }

    public static Finding fail(String summary) {
        return new Finding(CheckResult.Status.FAIL, summary);
    }

    /** Not applicable or not judgeable here; the summary must say why. */
    public static Finding skip(String reason) {
        return new Finding(CheckResult.Status.SKIP, reason);
    }

    public static Finding error(String summary) {
        return new Finding(CheckResult.Status.ERROR, summary);
    }

    public static Finding of(CheckResult.Status status, String summary) {
        return new Finding(status, summary);
    }

    public Finding observed(String value) {
        this.observed = Objects.requireNonNull(value);
        return this;
    }

    public Finding expected(String value) {
        this.expected = Objects.requireNonNull(value);
        return this;
    }

    public Finding remediation(String value) {
        this.remediation = Objects.requireNonNull(value);
        return this;
    }

    public Finding measurement(String name, double value, String unit, String subject) {
        measurements.add(Measurement.newBuilder()
                .setName(name)
                .setValue(value)
                .setUnit(unit)
                .setSubject(subject == null ? "" : subject)
                .build());
        return this;
    }

    public Finding ncclSetting(RecommendedNcclSetting setting) {
        ncclSettings.add(setting);
        return this;
    }

    /** A fact that must agree across nodes; subject says what it is about (empty for the node). */
    public Finding fact(String name, String value, String subject) {
        facts.add(Fact.newBuilder().setName(name).setValue(value).setSubject(subject == null ? "" : subject).build());
        return this;
    }

    /** An RDMA port, typed for the coordinator's scoring. */
    public Finding port(PortFact port) {
        ports.add(port);
        return this;
    }

    /** A GPU's rail, typed for the coordinator's scoring. */
    public Finding rail(RailFact rail) {
        rails.add(rail);
        return this;
    }

    public CheckResult.Status status() {
        return status;
    }

    public String summary() {
        return summary;
    }

    CheckResult.Builder toResultBuilder() {
        return CheckResult.newBuilder()
                .setStatus(status)
                .setSummary(summary)
                .setObserved(observed)
                .setExpected(expected)
                .setRemediation(remediation)
                .addAllMeasurements(measurements)
                .addAllNcclSettings(ncclSettings)
                .addAllFacts(facts)
                .addAllPorts(ports)
                .addAllRails(rails);
    }
}
