package dev.preflight.agent.check;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** The catalog of node checks, in the order they run and are listed. */
public final class Checks {
    private final Map<String, Check> byId = new LinkedHashMap<>();

    private Checks(List<Check> checks) {
        for (Check check : checks) {
            if (byId.put(check.id(), check) != null) {
                throw new IllegalStateException("two checks with id " + check.id());
            }
        }
    }

    /**
     * Every check that registered itself (META-INF/services/dev.preflight.agent.check.Check), in
     * that file's order.
     *
     * @throws IllegalStateException when two checks share an id
     */
    public static Checks standard() {
        List<Check> checks = new ArrayList<>();
        for (Check check : ServiceLoader.load(Check.class, Check.class.getClassLoader())) {
            checks.add(check);
        }
        return new Checks(checks);
    }

    /** Every named threshold the checks judge against, for --threshold and 'preflight checks thresholds'. */
    public static List<Threshold> thresholds() {
        List<Threshold> thresholds = new ArrayList<>();
        for (Check check : standard().all()) {
            thresholds.addAll(check.thresholds());
        }
        return List.copyOf(thresholds);
    }

    public List<Check> all() {
        return List.copyOf(byId.values());
    }

    /**
     * The checks with these ids, in catalog order; every check when the list is empty.
     *
     * @throws IllegalArgumentException naming the first unknown id and the known ones
     */
    public List<Check> select(List<String> ids) {
        if (ids.isEmpty()) {
            return all();
        }
        for (String id : ids) {
            if (!byId.containsKey(id)) {
                throw new IllegalArgumentException("unknown check id '" + id + "'; known: " + String.join(", ", byId.keySet()));
            }
        }
        List<Check> selected = new ArrayList<>();
        for (Check check : byId.values()) {
            if (ids.contains(check.id())) {
                selected.add(check);
            }
        }
        return selected;
    }
}
