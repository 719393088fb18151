package dev.preflight.agent.check;

import dev.preflight.proto.v1.Scope;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One concern of a node, declared once: a stable id ({@code <area>.<subject>}), its scope, one
 * line of what it verifies and the named thresholds it judges against. A check reads only through
 * its {@link CheckContext} (so every read becomes evidence and goes through the movable roots) and
 * may throw: {@link CheckRunner} turns any exception into an ERROR result naming it.
 *
 * <p>A check registers itself with a public no-argument constructor and a line in
 * {@code META-INF/services/dev.preflight.agent.check.Check}; {@link Checks} loads them in that
 * file's order, which is the order they run and are reported in.
 */
public abstract class Check {
    /** What the report, the metrics and --checks key results by: lower case, one dot. */
    private static final Pattern ID = Pattern.compile("[a-z][a-z0-9]*\\.[a-z][a-z0-9_]*");

    private final String id;
    private final Scope scope;
    private final String description;
    private final List<Threshold> thresholds;

    protected Check(String id, Scope scope, String description) {
        this(id, scope, description, List.of());
    }

    protected Check(String id, Scope scope, String description, List<Threshold> thresholds) {
        if (!ID.matcher(Objects.requireNonNull(id)).matches()) {
            throw new IllegalArgumentException("check id must be <area>.<subject> in lower case, got '" + id + "'");
        }
        if (scope == null || scope == Scope.SCOPE_UNSPECIFIED || scope == Scope.UNRECOGNIZED) {
            throw new IllegalArgumentException("check " + id + " needs a scope (HOST or PROCESS), got " + scope);
        }
        if (Objects.requireNonNull(description).isBlank()) {
            throw new IllegalArgumentException("check " + id + " needs a one-line description");
        }
        this.id = id;
        this.scope = scope;
        this.description = description;
        this.thresholds = List.copyOf(thresholds);
    }

    public final String id() {
        return id;
    }

    public final Scope scope() {
        return scope;
    }

    /** One line of what the check verifies, for {@code preflight checks list}. */
    public final String description() {
        return description;
    }

    /** The thresholds this check judges against, overridable with {@code --threshold NAME=VALUE}. */
    public final List<Threshold> thresholds() {
        return thresholds;
    }

    public abstract Finding run(CheckContext context) throws Exception;
}
