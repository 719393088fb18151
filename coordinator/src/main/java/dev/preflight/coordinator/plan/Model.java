package dev.preflight.coordinator.plan;

/**
 * A model the planner knows. A mixture-of-experts model keeps every expert resident, so its
 * memory follows the total parameter count, not the active one (Mixtral 8x22B: 141B, not 39B).
 *
 * @param activeParameters parameters used per token (equal to parameters for a dense model)
 */
public record Model(String name, String displayName, double parameters, double activeParameters, boolean moe) {
    public static Model dense(String name, String displayName, double parameters) {
        return new Model(name, displayName, parameters, parameters, false);
    }

    public static Model moe(String name, String displayName, double parameters, double active) {
        return new Model(name, displayName, parameters, active, true);
    }

    /** A model known only by its parameter count (--params). */
    public static Model ofParameters(double parameters) {
        return new Model(Planner.formatParameters(parameters) + " parameters", Planner.formatParameters(parameters)
                + " parameters", parameters, parameters, false);
    }
}
