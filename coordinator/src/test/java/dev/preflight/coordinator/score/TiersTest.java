package dev.preflight.coordinator.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.preflight.proto.units.Bandwidths;
import dev.preflight.proto.v1.CheckResult.Status;
import dev.preflight.proto.v1.Interconnect.Tier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TiersTest {
    private final Policy.InterconnectPolicy policy = Policy.defaults().interconnect();

    /** Each bound of the article's table, one byte per second below it and at it. */
    @ParameterizedTest(name = "{0} B/s: {1}")
    @CsvSource({
        "0,               UNUSABLE,          FAIL",
        "3099999999,      UNUSABLE,          FAIL",
        "3100000000,      TOO_SLOW,          FAIL",
        "12499999999,     TOO_SLOW,          FAIL",
        "12500000000,     SMALL_MODELS_ONLY, WARN",
        "24999999999,     SMALL_MODELS_ONLY, WARN",
        "25000000000,     PRODUCTION_VIABLE, PASS",
        "49999999999,     PRODUCTION_VIABLE, PASS",
        "50000000000,     RECOMMENDED,       PASS",
        "99999999999,     RECOMMENDED,       PASS",
        "100000000000,    OPTIMAL,           PASS",
    })
    void classifiesEachSideOfEveryBound(double bytesPerSecond, Tier tier, Status status) {
        assertEquals(tier, policy.tiers().classify(bytesPerSecond));
        assertEquals(status, policy.status(tier));
    }

    /** The article's interconnects by their negotiated rates, as ports state them in bits. */
    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "1Gb/s,   UNUSABLE",
        "25Gb/s,  TOO_SLOW",
        "100Gb/s, SMALL_MODELS_ONLY",
        "200Gb/s, PRODUCTION_VIABLE",
        "400Gb/s, RECOMMENDED",
        "800Gb/s, OPTIMAL",
    })
    void theArticlesInterconnectsLandInTheirClasses(String rate, Tier tier) {
        assertEquals(tier, policy.tiers().classify(Bandwidths.parse(rate)));
    }

    @ParameterizedTest
    @CsvSource({"production_viable, PRODUCTION_VIABLE", "Small Models Only, SMALL_MODELS_ONLY", "too-slow, TOO_SLOW"})
    void tierNamesParseInTheFormsPeopleWrite(String name, Tier tier) {
        assertEquals(tier, Tiers.parse(name));
    }

    @org.junit.jupiter.api.Test
    void boundsMustIncrease() {
        assertThrows(IllegalArgumentException.class, () -> new Tiers(3.1e9, 12.5e9, 12.5e9, 50e9, 100e9));
    }
}
