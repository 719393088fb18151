package dev.preflight.coordinator.score;

/** A policy file that cannot be used; the message names the file, the key and the value. */
public final class PolicyException extends Exception {
    private static final long serialVersionUID = 1L;

    public PolicyException(String message) {
        super(message);
    }
}
