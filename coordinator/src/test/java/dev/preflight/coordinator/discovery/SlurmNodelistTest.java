package dev.preflight.coordinator.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Expansions as {@code scontrol show hostnames} prints them. */
class SlurmNodelistTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "gpu-[01-04,07]|gpu-01 gpu-02 gpu-03 gpu-04 gpu-07",
        "node1|node1",
        "a,b,c|a b c",
        "gpu[8-11]|gpu8 gpu9 gpu10 gpu11",
        "gpu[08-11]|gpu08 gpu09 gpu10 gpu11",
        "gpu[098-101]|gpu098 gpu099 gpu100 gpu101",
        "rack[1-2]-gpu[01-02]|rack1-gpu01 rack1-gpu02 rack2-gpu01 rack2-gpu02",
        "dgx-a[1,3],dgx-b[2-3],login|dgx-a1 dgx-a3 dgx-b2 dgx-b3 login",
        "h100-[7]|h100-7",
        "a.b[1-2]|a.b1 a.b2",
    })
    void expandsLikeSlurm(String nodelist, String names) {
        assertEquals(Arrays.asList(names.split(" ")), SlurmNodelist.expand(nodelist));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "gpu-[01-04|Slurm nodelist 'gpu-[01-04': '[' without ']'",
        "gpu-01]|Slurm nodelist 'gpu-01]': ']' without '[' at character 7",
        "gpu-[4-2]|Slurm nodelist 'gpu-[4-2]': the range 4-2 runs backwards",
        "gpu-[a-c]|Slurm nodelist 'gpu-[a-c]': '[a-c]' holds 'a-c'; expected numbers and ranges like 01-04,07",
        "gpu-[1-2],,b|Slurm nodelist 'gpu-[1-2],,b': an empty name between commas",
        "gpu-[[1-2]]|Slurm nodelist 'gpu-[[1-2]]': nested '[' at character 6",
        "gpu 01|Slurm nodelist 'gpu 01': whitespace at character 4",
        "gpu-[1-99999999]|Slurm nodelist 'gpu-[1-99999999]': more than 65536 nodes",
        "gpu;rm|Slurm nodelist 'gpu;rm': 'gpu;rm' is not a host name",
        "n[0-1].cluster.local|Slurm nodelist 'n[0-1].cluster.local': '.cluster.local' follows a range; Slurm takes text"
                + " after a range only before another range",
    })
    void malformedListsAreRefusedNamingTheProblem(String nodelist, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, () -> SlurmNodelist.expand(nodelist)).getMessage());
    }

    @org.junit.jupiter.api.Test
    void theCapHoldsAcrossDimensionsToo() {
        assertThrows(IllegalArgumentException.class, () -> SlurmNodelist.expand("r[0-999]-n[0-999]"));
        assertEquals(List.of("x"), SlurmNodelist.expand(" x "));
    }
}
