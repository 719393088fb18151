package dev.preflight.reports;

import dev.preflight.proto.v1.CheckResult.Status;

/** Orders statuses by how bad they are: FAIL over WARN over PASS over the rest (SKIP, ERROR count elsewhere). */
public final class Statuses {
    private Statuses() {}

    public static Status worse(Status a, Status b) {
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(Status status) {
        switch (status) {
            case FAIL:
                return 3;
            case WARN:
                return 2;
            case PASS:
                return 1;
            default:
                return 0;
        }
    }
}
