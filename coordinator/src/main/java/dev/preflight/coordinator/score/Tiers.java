package dev.preflight.coordinator.score;

import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.v1.Interconnect.Tier;
import java.util.Locale;

/**
 * The article's interconnect classes by bandwidth per link: each bound is where a class starts
 * (a link at exactly 25 GB/s is production viable; 1 B/s less is small models only).
 */
public record Tiers(double tooSlowFrom, double smallModelsOnlyFrom, double productionViableFrom,
        double recommendedFrom, double optimalFrom) {

    public static final Tiers ARTICLE = new Tiers(3.1e9, 12.5e9, 25e9, 50e9, 100e9);

    public Tiers {
        double[] bounds = {tooSlowFrom, smallModelsOnlyFrom, productionViableFrom, recommendedFrom, optimalFrom};
        for (int i = 0; i < bounds.length; i++) {
            if (!(bounds[i] > 0) || (i > 0 && bounds[i] <= bounds[i - 1])) {
                throw new IllegalArgumentException("tier bounds must be positive and increasing: "
                        + Bandwidths.format(tooSlowFrom) + " < " + Bandwidths.format(smallModelsOnlyFrom) + " < "
                        + Bandwidths.format(productionViableFrom) + " < " + Bandwidths.format(recommendedFrom) + " < "
                        + Bandwidths.format(optimalFrom));
            }
        }
    }

    public Tier classify(double bytesPerSecond) {
        if (bytesPerSecond >= optimalFrom) {
            return Tier.OPTIMAL;
        }
        if (bytesPerSecond >= recommendedFrom) {
            return Tier.RECOMMENDED;
        }
        if (bytesPerSecond >= productionViableFrom) {
            return Tier.PRODUCTION_VIABLE;
        }
        if (bytesPerSecond >= smallModelsOnlyFrom) {
            return Tier.SMALL_MODELS_ONLY;
        }
        if (bytesPerSecond >= tooSlowFrom) {
            return Tier.TOO_SLOW;
        }
        return Tier.UNUSABLE;
    }

    /** Where a class starts; 0 for UNUSABLE. */
    public double lowerBound(Tier tier) {
        switch (tier) {
            case OPTIMAL:
                return optimalFrom;
            case RECOMMENDED:
                return recommendedFrom;
            case PRODUCTION_VIABLE:
                return productionViableFrom;
            case SMALL_MODELS_ONLY:
                return smallModelsOnlyFrom;
            case TOO_SLOW:
                return tooSlowFrom;
            default:
                return 0;
        }
    }

    /** Where the next class starts; 0 (unbounded) for OPTIMAL. */
    public double upperBound(Tier tier) {
        switch (tier) {
            case UNUSABLE:
                return tooSlowFrom;
            case TOO_SLOW:
                return smallModelsOnlyFrom;
            case SMALL_MODELS_ONLY:
                return productionViableFrom;
            case PRODUCTION_VIABLE:
                return recommendedFrom;
            case RECOMMENDED:
                return optimalFrom;
            default:
                return 0;
        }
    }

    /** "production viable", as the article words it. */
    public static String label(Tier tier) {
        return tier.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    /** The tier named in a policy file: "production_viable" or "production viable", any case. */
    public static Tier parse(String name) {
        String normal = name.strip().toUpperCase(Locale.ROOT).replace(' ', '_').replace('-', '_');
        for (Tier tier : Tier.values()) {
            if (tier != Tier.TIER_UNSPECIFIED && tier != Tier.UNRECOGNIZED && tier.name().equals(normal)) {
                return tier;
            }
        }
        throw new IllegalArgumentException("'" + name + "' is not a tier (unusable, too_slow, small_models_only, "
                + "production_viable, recommended, optimal)");
    }
}
