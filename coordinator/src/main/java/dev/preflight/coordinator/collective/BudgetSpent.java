package dev.preflight.coordinator.collective;

/** The bench phases ran out of their time budget. */
public final class BudgetSpent extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BudgetSpent(String message) {
        super(message);
    }
}
