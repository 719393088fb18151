package dev.preflight.agent.check.nccl;

/**
 * The verdict classes of multinode inference by per-link bandwidth (GB/s, 1 GB = 10^9 bytes), as the
 * project's source article tabulates them: 1 GbE unusable, 25 GbE too slow, 100 GbE small models
 * only, HDR 200 production viable, NDR 400 recommended, XDR 800 optimal.
 */
public enum InterconnectClass {
    UNUSABLE("unusable", 0),
    TOO_SLOW("too slow", 3.1),
    SMALL_MODELS_ONLY("small models only", 12.5),
    PRODUCTION_VIABLE("production viable", 25),
    RECOMMENDED("recommended", 50),
    OPTIMAL("optimal", 100);

    private final String label;
    private final double fromGigabytesPerSecond;

    InterconnectClass(String label, double fromGigabytesPerSecond) {
        this.label = label;
        this.fromGigabytesPerSecond = fromGigabytesPerSecond;
    }

    public String label() {
        return label;
    }

    public static InterconnectClass of(double gigabytesPerSecond) {
        InterconnectClass result = UNUSABLE;
        for (InterconnectClass candidate : values()) {
            if (gigabytesPerSecond >= candidate.fromGigabytesPerSecond) {
                result = candidate;
            }
        }
        return result;
    }
}
