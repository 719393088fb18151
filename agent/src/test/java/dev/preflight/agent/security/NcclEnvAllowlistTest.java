package dev.preflight.agent.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NcclEnvAllowlistTest {
    @TempDir
    Path dir;

    private static String refusal(String key, String value) {
        return assertThrows(IllegalArgumentException.class,
                () -> NcclEnvAllowlist.validate("nccl_env", Map.of(key, value))).getMessage();
    }

    /** Values in the syntax NCCL's env.rst documents, as deployments set them. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "NCCL_IB_HCA|=mlx5_0:1,mlx5_1:1",
        "NCCL_IB_HCA|^=mlx5_1,mlx5_4",
        "NCCL_IB_HCA|mlx5",
        "NCCL_SOCKET_IFNAME|^docker,lo",
        "NCCL_SOCKET_IFNAME|=eth0",
        "NCCL_IB_GID_INDEX|3",
        "NCCL_IB_GID_INDEX|-1",
        "NCCL_NET_GDR_LEVEL|PHB",
        "NCCL_NET_GDR_LEVEL|2",
        "NCCL_ALGO|allreduce:tree;allgather:ring",
        "NCCL_ALGO|^NVLS",
        "NCCL_PROTO|LL,LL128,Simple",
        "NCCL_DEBUG|INFO",
        "NCCL_DEBUG_SUBSYS|INIT,NET",
        "NCCL_CROSS_NIC|0",
        "NCCL_IB_DISABLE|1",
        "NCCL_IB_ADDR_RANGE|10.0.0.0/8",
        "NCCL_NET|IB",
    })
    void documentedValuesPass(String key, String value) {
        assertEquals(Map.of(key, value), NcclEnvAllowlist.validate("nccl_env", Map.of(key, value)));
    }

    @Test
    void librariesAndFilesAreRefusedWithTheReason() {
        assertEquals("nccl_env[NCCL_NET_PLUGIN]: refused, it loads a shared library (libraries and files come from the"
                + " agent's own flags only)", refusal("NCCL_NET_PLUGIN", "/tmp/libevil.so"));
        assertEquals("nccl_env[NCCL_DEBUG_FILE]: refused, it writes a file (libraries and files come from the agent's"
                + " own flags only)", refusal("NCCL_DEBUG_FILE", "/etc/cron.d/x"));
        assertEquals("nccl_env[LD_PRELOAD]: only NCCL_* variables may be set here", refusal("LD_PRELOAD", "/tmp/x.so"));
        assertEquals("nccl_env[LD_LIBRARY_PATH]: only NCCL_* variables may be set here",
                refusal("LD_LIBRARY_PATH", "/tmp"));
    }

    @Test
    void unknownVariablesAndBadValuesAreRefusedNamingTheKey() {
        assertEquals("nccl_env[NCCL_SOMETHING_NEW]: not on the allowlist of NCCL settings a request may choose",
                refusal("NCCL_SOMETHING_NEW", "1"));
        assertEquals("nccl_env[NCCL_IB_HCA]: 'mlx5_0;rm -rf /' is not HCA[:port] entries, comma-separated, with an"
                + " optional leading ^ or = (e.g. =mlx5_0:1,mlx5_1:1)", refusal("NCCL_IB_HCA", "mlx5_0;rm -rf /"));
        assertEquals("nccl_env[NCCL_SOCKET_IFNAME]: '../eth0' is not interface name prefixes, comma-separated, with an"
                + " optional leading ^ or = (e.g. =eth0,eth1)", refusal("NCCL_SOCKET_IFNAME", "../eth0"));
        assertEquals("nccl_env[NCCL_IB_DISABLE]: 'yes' is not 0 or 1", refusal("NCCL_IB_DISABLE", "yes"));
        assertEquals("nccl_env[NCCL_DEBUG]: 'INFO\\x0aX' is not VERSION, WARN, INFO or TRACE",
                refusal("NCCL_DEBUG", "INFO\nX"));
        assertEquals("nccl_env[NCCL_ALGO]: a value of 300 characters, at most 256", refusal("NCCL_ALGO", "R".repeat(300)));
    }

    @Test
    void tooManyVariablesAreRefused() {
        Map<String, String> many = new LinkedHashMap<>();
        for (int i = 0; i <= NcclEnvAllowlist.MAX_VARIABLES; i++) {
            many.put("NCCL_X" + i, "1");
        }
        assertEquals("nccl_env: 65 variables, at most 64", assertThrows(IllegalArgumentException.class,
                () -> NcclEnvAllowlist.validate("nccl_env", many)).getMessage());
    }

    @Test
    void aWorkloadEnvFileIsReadInOrderWithCommentsSkipped() throws Exception {
        Path file = Files.writeString(dir.resolve("workload.env"), "# from the vLLM deployment\n"
                + "NCCL_IB_HCA==mlx5_0:1,mlx5_3:1\n\nNCCL_SOCKET_IFNAME=eth0\r\nNCCL_IB_GID_INDEX = 3\n");
        assertEquals(java.util.List.of("NCCL_IB_HCA", "NCCL_SOCKET_IFNAME", "NCCL_IB_GID_INDEX"),
                java.util.List.copyOf(NcclEnvAllowlist.parseEnvFile(file).keySet()));
        assertEquals("=mlx5_0:1,mlx5_3:1", NcclEnvAllowlist.parseEnvFile(file).get("NCCL_IB_HCA"));
    }

    @Test
    void aBadWorkloadEnvFileNamesTheLine() throws Exception {
        Path notKeyValue = Files.writeString(dir.resolve("a.env"), "NCCL_IB_HCA=mlx5\nexport NCCL_DEBUG\n");
        assertEquals(notKeyValue + ":2: 'export NCCL_DEBUG' is not KEY=VALUE", assertThrows(IllegalArgumentException.class,
                () -> NcclEnvAllowlist.parseEnvFile(notKeyValue)).getMessage());
        Path plugin = Files.writeString(dir.resolve("b.env"), "NCCL_NET_PLUGIN=aws-ofi\n");
        assertEquals(plugin + ":1: NCCL_NET_PLUGIN: refused, it loads a shared library (libraries and files come"
                + " from the agent's own flags only)", assertThrows(IllegalArgumentException.class,
                () -> NcclEnvAllowlist.parseEnvFile(plugin)).getMessage());
        Path twice = Files.writeString(dir.resolve("c.env"), "NCCL_DEBUG=INFO\nNCCL_DEBUG=WARN\n");
        assertEquals(twice + ":2: NCCL_DEBUG is set twice", assertThrows(IllegalArgumentException.class,
                () -> NcclEnvAllowlist.parseEnvFile(twice)).getMessage());
    }
}
