package dev.preflight.agent.check.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.preflight.agent.hostfs.PathType;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * NCCL's list syntax (parseStringList/matchIfList in misc/utils.cc), GDR levels (ncclGetLevel) and
 * variable names, rule by rule as nccl-cuda-abi.md section 4 states them.
 */
class NcclSyntaxTest {
    private static final List<String> HCAS = List.of("mlx5_0", "mlx5_1", "mlx5_10", "mlx5_11", "mlx5_2", "mlx5_bond_0", "mlx4_0");

    @ParameterizedTest(name = "NCCL_IB_HCA={0} selects {1}")
    @CsvSource(delimiter = '|', value = {
        // prefixes: mlx5_1 also selects mlx5_10 and mlx5_11
        "mlx5|mlx5_0 mlx5_1 mlx5_10 mlx5_11 mlx5_2 mlx5_bond_0",
        "mlx5_1|mlx5_1 mlx5_10 mlx5_11",
        // '=' makes names exact
        "=mlx5_1|mlx5_1",
        "=mlx5_0,mlx5_1|mlx5_0 mlx5_1",
        // '^' excludes, by prefix unless '=' follows
        "^mlx5_1|mlx5_0 mlx5_2 mlx5_bond_0 mlx4_0",
        "^=mlx5_1,mlx5_bond_0|mlx5_0 mlx5_10 mlx5_11 mlx5_2 mlx4_0",
        // an empty list selects everything
        "''|mlx5_0 mlx5_1 mlx5_10 mlx5_11 mlx5_2 mlx5_bond_0 mlx4_0",
        // parseStringList skips one more '^' or '=' of its own
        "=^mlx4_0|mlx4_0",
        // empty entries are skipped
        "mlx4,,=x|mlx4_0"})
    void deviceSelection(String value, String expected) {
        NcclNameList list = NcclNameList.parse(value, NcclNameList.MAX_IB_DEVICES);
        String selected = HCAS.stream().filter(name -> list.selects(name, -1)).collect(Collectors.joining(" "));
        assertEquals(expected, selected);
    }

    @ParameterizedTest(name = "NCCL_IB_HCA={0}: mlx5_0 port {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "=mlx5_0:1,mlx5_1:1|1|true", "=mlx5_0:1,mlx5_1:1|2|false", "mlx5_0:2|1|false", "mlx5_0:2|2|true",
        "mlx5_0|2|true", "mlx5_0::0:0|2|true", "=mlx5_0:1:0:1|1|true", "^mlx5_0:1|1|false", "^mlx5_0:1|2|true"})
    void portsSelectOnlyTheirPort(String value, int port, boolean selected) {
        assertEquals(selected, NcclNameList.parse(value, NcclNameList.MAX_IB_DEVICES).selects("mlx5_0", port));
    }

    @Test
    void entriesPastNcclsLimitAreDropped() {
        String value = IntStream.range(0, 33).mapToObj(i -> "=mlx5_" + i).map(entry -> entry.substring(1))
                .collect(Collectors.joining(",", "=", ""));
        NcclNameList list = NcclNameList.parse(value, NcclNameList.MAX_IB_DEVICES);
        assertEquals(32, list.entries().size());
        assertEquals(1, list.ignored());
        assertEquals(false, list.selects("mlx5_32", 1));
    }

    @ParameterizedTest(name = "NCCL_SOCKET_IFNAME={0} selects {1}")
    @CsvSource(delimiter = '|', value = {
        "eth|eth0 eth1", "=eth0|eth0", "=eth0,eth1|eth0 eth1", "^docker|eth0 eth1 ib0 lo virbr0",
        "^=docker0|eth0 eth1 ib0 lo docker01 virbr0",
        "^docker,lo,virbr|eth0 eth1 ib0"})
    void interfaceSelection(String value, String expected) {
        List<String> interfaces = List.of("eth0", "eth1", "ib0", "lo", "docker0", "docker01", "virbr0");
        NcclNameList list = NcclNameList.parse(value, NcclNameList.MAX_SOCKET_INTERFACES);
        String selected = interfaces.stream().filter(name -> list.selects(name, -1)).collect(Collectors.joining(" "));
        assertEquals(expected, selected);
    }

    @ParameterizedTest(name = "NCCL_NET_GDR_LEVEL={0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "LOC|LOC|NAME", "PIX|PIX|NAME", "PXB|PXB|NAME", "PHB|PHB|NAME", "SYS|SYS|NAME", "NVL|NVL|NAME", "C2C|C2C|NAME",
        // legacy integers: 0 LOC, 1 PIX, 2 PXB, 3 PHB, 4 and above SYS
        "0|LOC|LEGACY_INTEGER", "1|PIX|LEGACY_INTEGER", "2|PXB|LEGACY_INTEGER", "3|PHB|LEGACY_INTEGER",
        "4|SYS|LEGACY_INTEGER", "5|SYS|LEGACY_INTEGER", "99|SYS|LEGACY_INTEGER",
        // strtol(..., 0): hex and octal, and trailing garbage ignored
        "0x2|PXB|LEGACY_INTEGER", "010|SYS|LEGACY_INTEGER", "3abc|PHB|LEGACY_INTEGER",
        // names are case-sensitive; anything else is ignored
        "pxb|-|IGNORED", "-1|-|IGNORED", "''|-|IGNORED", "NET|-|IGNORED"})
    void gdrLevels(String raw, String level, NcclGdrLevel.Form form) {
        NcclGdrLevel parsed = NcclGdrLevel.parse(raw);
        assertEquals(form, parsed.form());
        assertEquals(level.equals("-") ? Optional.empty() : Optional.of(PathType.valueOf(level)), parsed.level());
    }

    @ParameterizedTest(name = "{0} -> {1} {2}")
    @CsvSource(delimiter = '|', value = {
        "NCCL_IB_HCA|KNOWN|-", "NCCL_SOCKET_IFNAME|KNOWN|-", "NCCL_TESTS_MIN_BW|KNOWN|-",
        "NCCL_SOCKET_IFNAMES|MISSPELLED|NCCL_SOCKET_IFNAME", "NCCL_IB_HCAS|MISSPELLED|NCCL_IB_HCA",
        "NCCL_IBHCA|MISSPELLED|NCCL_IB_HCA", "nccl_ib_hca|MISSPELLED|NCCL_IB_HCA", "NCCL_NET_GDR_LEVLE|MISSPELLED|NCCL_NET_GDR_LEVEL",
        "NCCL_IB_GID_IDX|MISSPELLED|NCCL_IB_GID_INDEX", "NCCL_DEBUG_SUBSY|MISSPELLED|NCCL_DEBUG_SUBSYS",
        "NCCL_IB_GDR_LEVEL|RENAMED|NCCL_NET_GDR_LEVEL", "NCCL_IB_CUDA_SUPPORT|RENAMED|NCCL_NET_GDR_LEVEL",
        "NCCL_MY_PLUGIN_KNOB|UNKNOWN|-"})
    void variableNames(String name, NcclEnvNames.Kind kind, String suggestion) {
        NcclEnvNames.Judgement judgement = NcclEnvNames.judge(name);
        assertEquals(kind, judgement.kind());
        assertEquals(suggestion.equals("-") ? Optional.empty() : Optional.of(suggestion), judgement.suggestion());
    }
}
