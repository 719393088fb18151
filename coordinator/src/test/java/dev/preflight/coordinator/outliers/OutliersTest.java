package dev.preflight.coordinator.outliers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutliersTest {
    private static Map<String, Double> fleet(double... values) {
        Map<String, Double> map = new LinkedHashMap<>();
        for (int i = 0; i < values.length; i++) {
            map.put("node-" + (i + 1), values[i]);
        }
        return map;
    }

    @Test
    void oneBadNodeAmongFourIsFoundWhereAZScoreCannot() {
        Map<String, Double> values = fleet(47.1, 46.8, 47.3, 12.0);
        assertEquals(List.of("node-4"), Outliers.low(values, Outliers.Settings.DEFAULT));
        // the plain z-score of the bad node stays under 2 (at most (n-1)/sqrt(n) = 1.5 for n = 4)
        double mean = values.values().stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        double sd = Math.sqrt(values.values().stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / values.size());
        assertTrue((mean - 12.0) / sd < 2);
    }

    @Test
    void aTightFleetWithNoiseFlagsNothing() {
        assertEquals(List.of(), Outliers.low(fleet(47.1, 46.8, 47.3, 46.9, 45.2), Outliers.Settings.DEFAULT));
    }

    @Test
    void tooSmallAFleetFlagsNothing() {
        assertEquals(List.of(), Outliers.low(fleet(47.0, 12.0), Outliers.Settings.DEFAULT));
    }

    @Test
    void theRelativeFloorKeepsSmallDeviationsOfAnIdenticalFleetOut() {
        // MAD is 0 here; without a floor anything below the median would be an outlier
        assertEquals(List.of(), Outliers.low(fleet(100, 100, 100, 95), Outliers.Settings.DEFAULT));
        assertEquals(List.of("node-4"), Outliers.low(fleet(100, 100, 100, 79), Outliers.Settings.DEFAULT));
    }

    @Test
    void withFewerThanTheFleetMinimumEachValueIsJudgedAgainstTheExpectedCeiling() {
        // two nodes: no median to speak of; a ceiling of 47 GB/s and a 10% margin put the line at 42.3
        List<Outliers.Outlier<String>> low = Outliers.judge(fleet(47.0, 42.2), Outliers.Settings.DEFAULT,
                java.util.OptionalDouble.of(47.0));
        assertEquals(1, low.size());
        assertEquals("node-2", low.get(0).subject());
        assertTrue(low.get(0).againstCeiling());
        assertEquals(42.3, low.get(0).threshold(), 1e-9);
        assertEquals(List.of(), Outliers.judge(fleet(47.0, 42.4), Outliers.Settings.DEFAULT, java.util.OptionalDouble.of(47.0)));
        assertEquals(List.of(), Outliers.judge(fleet(47.0, 12.0), Outliers.Settings.DEFAULT, java.util.OptionalDouble.empty()));
    }

    @Test
    void medianAndMad() {
        assertEquals(2.5, Outliers.median(new double[] {4, 1, 3, 2}));
        assertEquals(1.0, Outliers.mad(new double[] {1, 2, 3, 4, 100}));
    }
}
