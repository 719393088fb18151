package dev.preflight.coordinator.plan;

import dev.preflight.proto.v1.ModelArchitecture;

/**
 * A model the planner knows. A mixture-of-experts model keeps every expert resident, so its
 * memory follows the total parameter count, not the active one (Mixtral 8x22B: 141B, not 39B).
 *
 * @param activeParameters parameters used per token (equal to parameters for a dense model)
 * @param architecture the published config's shape; null for a model known only by its parameter count
 */
public record Model(String name, String displayName, double parameters, double activeParameters, boolean moe,
        ModelArchitecture architecture) {

    /** A model known only by its parameter count (--params). */
    public static Model ofParameters(double parameters) {
        return new Model(Planner.formatParameters(parameters) + " parameters", Planner.formatParameters(parameters)
                + " parameters", parameters, parameters, false, null);
    }

    public boolean mla() {
        return architecture != null && architecture.getKvLoraRank() > 0;
    }
}
