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
    void settingsThatLoadCodeOrWriteFilesAreRefused() {
        for (String name : List.of("NCCL_NET_PLUGIN", "NCCL_DEBUG_FILE", "NCCL_TOPO_FILE", "NCCL_COMM_BLOCKING",
                "LD_PRELOAD")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> NcclSettings.validate(List.of(setting(name, "/tmp/x"))));
            assertTrue(e.getMessage().startsWith("'" + name + "' is not a setting a request may choose (allowed: NCCL_ALGO"),
                    e.getMessage());
        }
    }

    @Test
    void valuesAreChecked() {
        IllegalArgumentException flag = assertThrows(IllegalArgumentException.class,
                () -> NcclSettings.validate(List.of(setting("NCCL_IB_DISABLE", "yes"))));
        assertEquals("NCCL_IB_DISABLE='yes': expected a value matching [01]", flag.getMessage());
        IllegalArgumentException shell = assertThrows(IllegalArgumentException.class,
                () -> NcclSettings.validate(List.of(setting("NCCL_SOCKET_IFNAME", "eth0;rm -rf /\n"))));
        assertTrue(shell.getMessage().startsWith("NCCL_SOCKET_IFNAME='eth0;rm -rf /?'"), shell.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> NcclSettings.validate(List.of(setting("NCCL_ALGO", "Ring"), setting("NCCL_ALGO", "Tree"))));
        assertEquals("NCCL_ALGO is given twice", twice.getMessage());
    }
}
