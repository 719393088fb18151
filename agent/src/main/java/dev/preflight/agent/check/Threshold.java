package dev.preflight.agent.check;

/**
 * A named limit a check judges against. The default is the project's policy; an operator overrides
 * it with {@code --threshold NAME=VALUE} (the scoring policy will own these later).
 */
public record Threshold(String name, double defaultValue, String unit, String description) {
    /** The value in force: the override in the settings, else the default. */
    public double value(CheckContext context) {
        return context.settings().thresholds().valueOf(this);
    }
}
