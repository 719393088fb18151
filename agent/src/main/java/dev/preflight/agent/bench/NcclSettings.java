package dev.preflight.agent.bench;

import dev.preflight.agent.security.NcclEnvAllowlist;
import dev.preflight.proto.v1.NcclSetting;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The NCCL settings a bench request may choose for the workers: the agent's NCCL allowlist
 * ({@link NcclEnvAllowlist}: no plugin, no file, no bootstrap address), less the variables the
 * bench sets itself — its NCCL_DEBUG log proves the transport, and it creates communicators
 * non-blocking whatever NCCL_COMM_BLOCKING says.
 */
public final class NcclSettings {
    static final Set<String> BENCH_OWNED = Set.of("NCCL_DEBUG", "NCCL_DEBUG_SUBSYS", "NCCL_COMM_BLOCKING");

    private NcclSettings() {}

    /**
     * The settings as environment variables, in request order.
     *
     * @throws IllegalArgumentException naming the setting and what is accepted
     */
    public static Map<String, String> validate(List<NcclSetting> settings) {
        if (settings.size() > NcclEnvAllowlist.MAX_VARIABLES) {
            throw new IllegalArgumentException(settings.size() + " settings, at most " + NcclEnvAllowlist.MAX_VARIABLES);
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (NcclSetting setting : settings) {
            if (BENCH_OWNED.contains(setting.getName())) {
                throw new IllegalArgumentException("[" + setting.getName() + "]: set by the bench itself");
            }
            if (env.put(setting.getName(), setting.getValue()) != null) {
                throw new IllegalArgumentException("[" + setting.getName() + "]: given twice");
            }
        }
        return NcclEnvAllowlist.validate("", env);
    }
}
