package dev.preflight.coordinator.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.Interconnect.Tier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyFileTest {
    @Test
    void theEffectivePolicyPrintsAsAFileThatReadsBackTheSame() throws Exception {
        Policy defaults = Policy.defaults();
        Policy reread = PolicyFile.parse("shown.yaml", defaults.toYaml());
        assertEquals(defaults.withSource("shown.yaml"), reread);
        Policy changed = PolicyFile.parse("a.yaml", "interconnect:\n  efficiencyFloor: 85%\nlimits:\n  shm_size_bytes:\n    warnBelow: 8GiB\n");
        assertEquals(changed.withSource("b.yaml"), PolicyFile.parse("b.yaml", changed.toYaml()));
    }

    @Test
    void aFileOverridesOnlyWhatItNames() throws Exception {
        Policy policy = PolicyFile.parse("p.yaml", String.join("\n",
                "interconnect:",
                "  productionViableFrom: 200Gb/s",
                "  efficiencyFloor: 90%",
                "  passFrom: recommended",
                "statistic:",
                "  largeMessageMin: 1GiB",
                "intraNode:",
                "  - part: NVIDIA H100 80GB HBM3",
                "    gpus: 8",
                "    passFrom: 450GB/s",
                "  - part: NVIDIA GH200 480GB",
                "    interconnect: NVLink-C2C",
                "    gpus: 4",
                "    passFrom: 300GB/s",
                "    failBelow: 200GB/s",
                "limits:",
                "  shm_size_bytes:",
                "    warnBelow: 8GiB",
                "  gpu_temperature_celsius:",
                "    warnAbove: off",
                "    failAbove: 90",
                "outliers:",
                "  minFleet: 8",
                "collectives:",
                "  alltoallFloor: 40%",
                "latency:",
                "  ppSendRecvWarnAbove: 80us",
                "diff:",
                "  regression: 10%",
                "plan:",
                "  headroom: 15%",
                ""));
        assertEquals("p.yaml", policy.source());
        assertEquals(25e9, policy.interconnect().tiers().productionViableFrom());
        assertEquals(12.5e9, policy.interconnect().tiers().smallModelsOnlyFrom());
        assertEquals(0.90, policy.interconnect().efficiencyFloor(), 1e-12);
        assertEquals(Tier.RECOMMENDED, policy.interconnect().passFrom());
        assertEquals(ByteSizes.GIB, policy.largeMessageMinBytes());
        Policy.IntraNodeBand h100 = policy.band("NVIDIA H100 80GB HBM3", 8).orElseThrow();
        assertEquals(450e9, h100.passFrom());
        assertEquals(280e9, h100.failBelow(), "unnamed fields keep their defaults");
        assertEquals(300e9, policy.band("NVIDIA GH200 480GB", 4).orElseThrow().passFrom());
        assertEquals("NVLink-C2C", policy.band("NVIDIA GH200 480GB", 4).orElseThrow().interconnect());
        assertTrue(policy.band("NVIDIA GH200 480GB", 8).isEmpty(), "a band covers 2 to its gpus GPUs");
        assertEquals(0.40, policy.collectives().alltoall(), 1e-12);
        assertEquals(0.60, policy.collectives().allReduce(), 1e-12, "unnamed floors keep their defaults");
        assertEquals(80e-6, policy.latency().ppSendRecvWarnAbove(), 1e-15);
        assertEquals(500e-6, policy.latency().ppSendRecvFailAbove(), 1e-15);
        assertEquals(8.0 * ByteSizes.GIB, policy.limits().get("shm_size_bytes").warnBelow());
        assertEquals((double) ByteSizes.GIB, policy.limits().get("shm_size_bytes").failBelow());
        assertNull(policy.limits().get("gpu_temperature_celsius").warnAbove());
        assertEquals(90.0, policy.limits().get("gpu_temperature_celsius").failAbove());
        assertEquals(8, policy.outliers().minFleet());
        assertEquals(10.0, policy.regressionPercent(), 1e-12);
        assertEquals(0.15, policy.headroomFraction(), 1e-12);
    }

    @Test
    void anEmptyFileIsTheDefaults() throws Exception {
        assertEquals(Policy.defaults().withSource("empty.yaml"), PolicyFile.parse("empty.yaml", ""));
    }

    /** Every bad file names the file, the key and the value in one line. */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "interconnect:\\n  efficencyFloor: 80%|p.yaml: unknown key interconnect.efficencyFloor",
        "interconect:\\n  efficiencyFloor: 80%|p.yaml: unknown key interconect",
        "interconnect:\\n  productionViableFrom: 25|p.yaml: interconnect.productionViableFrom: '25' is not a bandwidth with a unit",
        "interconnect:\\n  productionViableFrom: 25GB|p.yaml: interconnect.productionViableFrom: '25GB' is not a bandwidth",
        "interconnect:\\n  productionViableFrom: 400Gb/s|p.yaml: interconnect: tier bounds must be positive and increasing",
        "interconnect:\\n  efficiencyFloor: 0.8|p.yaml: interconnect.efficiencyFloor: '0.8' is not a percentage",
        "interconnect:\\n  passFrom: fast|p.yaml: interconnect.passFrom: 'fast' is not a tier",
        "interconnect:\\n  warnFrom: optimal|p.yaml: interconnect.warnFrom: 'optimal' is not a tier no higher than passFrom",
        "statistic:\\n  largeMessageMin: 256|p.yaml: statistic.largeMessageMin: '256' is not a size with a unit",
        "limits:\\n  shm_size_bytes:\\n    warnBelow: 16GB/s|p.yaml: limits.shm_size_bytes.warnBelow: '16GB/s' is not a size with a unit",
        "limits:\\n  ecc_uncorrectable_errors:\\n    failAbove: 1GiB|p.yaml: limits.ecc_uncorrectable_errors.failAbove '1GiB' is not a whole number",
        "limits:\\n  nvlink_errors:\\n    failAbove: 1|p.yaml: unknown key limits.nvlink_errors",
        "intraNode:\\n  - part: NVIDIA B300\\n    gpus: 8\\n    passFrom: 600GB/s|p.yaml: intraNode[0]: a new band needs gpus, passFrom and failBelow",
        "collectives:\\n  alltoallFloor: 0.5|p.yaml: collectives.alltoallFloor: '0.5' is not a percentage",
        "collectives:\\n  allReduceFloor: 120%|p.yaml: collectives.allReduceFloor: '120%' is not a percentage in (0%, 100%]",
        "latency:\\n  tpAllReduceWarnAbove: 30|p.yaml: latency.tpAllReduceWarnAbove: '30' is not a positive time with a unit",
        "latency:\\n  ppSendRecvWarnAbove: 1ms\\n  ppSendRecvFailAbove: 500us|p.yaml: latency.ppSendRecvWarnAbove: '1ms' is not a time no higher",
        "intraNode:\\n  part: H100|p.yaml: intraNode: '{part=H100}' is not a list",
        "outliers:\\n  minFleet: 2|p.yaml: outliers.minFleet '2' is out of range (expected 3 to 1000000)",
        "plan:\\n  headroom: 100%|p.yaml: plan.headroom: '100%' is not a percentage below 100%",
        "diff: [5%]|p.yaml: diff: '[5%]' is not a mapping",
        "interconnect: {a: 1, a: 2}|p.yaml: not valid YAML",
    })
    void badFilesAreOneLineErrorsNamingTheKey(String yaml, String message) {
        PolicyException e = assertThrows(PolicyException.class, () -> PolicyFile.parse("p.yaml", yaml.replace("\\n", "\n")));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
