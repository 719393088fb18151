package dev.preflight.agent.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.v1.NcclSetting;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NcclSettingsTest {
    private static NcclSetting setting(String name, String value) {
        return NcclSetting.newBuilder().setName(name).setValue(value).build();
    }

    @Test
    void allowedSettingsBecomeTheWorkersEnvironment() {
        assertEquals(Map.of("NCCL_ALGO", "Ring", "NCCL_IB_HCA", "=mlx5_0:1,mlx5_1:1", "NCCL_NET_GDR_LEVEL", "PHB",
                "NCCL_IB_GID_INDEX", "3"),
                NcclSettings.validate(List.of(setting("NCCL_ALGO", "Ring"), setting("NCCL_IB_HCA", "=mlx5_0:1,mlx5_1:1"),
                        setting("NCCL_NET_GDR_LEVEL", "PHB"), setting("NCCL_IB_GID_INDEX", "3"))));
    }

    @Test
    void settingsThatLoadCodeOrTouchFilesAreRefused() {
        for (String name : List.of("NCCL_NET_PLUGIN", "NCCL_DEBUG_FILE", "NCCL_TOPO_FILE")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NcclSettings.validate(List.of(setting(name, "/tmp/x"))));
            assertTrue(e.getMessage().startsWith("[" + name + "]: refused, it "), e.getMessage());
        }
        IllegalArgumentException preload = assertThrows(IllegalArgumentException.class,
                () -> NcclSettings.validate(List.of(setting("LD_PRELOAD", "/tmp/x"))));
        assertEquals("[LD_PRELOAD]: only NCCL_* variables may be set here", preload.getMessage());
    }

    @Test
    void whatTheBenchSetsItselfIsRefused() {
        for (String name : List.of("NCCL_DEBUG", "NCCL_DEBUG_SUBSYS", "NCCL_COMM_BLOCKING")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NcclSettings.validate(List.of(setting(name, "1"))));
            assertEquals("[" + name + "]: set by the bench itself", e.getMessage());
        }
    }

    @Test
    void valuesAreChecked() {
        IllegalArgumentException flag = assertThrows(IllegalArgumentException.class,
                () -> NcclSettings.validate(List.of(setting("NCCL_IB_DISABLE", "yes"))));
        assertEquals("[NCCL_IB_DISABLE]: 'yes' is not 0 or 1", flag.getMessage());
        IllegalArgumentException shell = assertThrows(IllegalArgumentException.class,
                () -> NcclSettings.validate(List.of(setting("NCCL_SOCKET_IFNAME", "eth0;rm -rf /\n"))));
        assertTrue(shell.getMessage().startsWith("[NCCL_SOCKET_IFNAME]: 'eth0;rm -rf /\\x0a' is not"), shell.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> NcclSettings.validate(List.of(setting("NCCL_ALGO", "Ring"), setting("NCCL_ALGO", "Tree"))));
        assertEquals("[NCCL_ALGO]: given twice", twice.getMessage());
    }
}
