package dev.preflight.coordinator.plan;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Models with published parameter counts. The five the multinode deployment targets carry the
 * counts as their model cards round them (70B, 141B, 405B, 671B, 340B), which is how weight sizes
 * are quoted when a cluster is sized.
 */
public final class ModelCatalog {
    private static final List<Model> MODELS = List.of(
            Model.dense("llama-3.1-8b", "Llama 3.1 8B", 8e9),
            Model.dense("llama-3.1-70b", "Llama 3.1 70B", 70e9),
            Model.dense("llama-3.1-405b", "Llama 3.1 405B", 405e9),
            Model.moe("mixtral-8x7b", "Mixtral 8x7B", 46.7e9, 12.9e9),
            Model.moe("mixtral-8x22b", "Mixtral 8x22B", 141e9, 39e9),
            Model.dense("nemotron-4-340b", "Nemotron-4 340B", 340e9),
            Model.moe("deepseek-v3", "DeepSeek-V3", 671e9, 37e9),
            Model.moe("deepseek-r1", "DeepSeek-R1", 671e9, 37e9));

    private ModelCatalog() {}

    public static List<Model> all() {
        return MODELS;
    }

    public static Optional<Model> find(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        return MODELS.stream().filter(m -> m.name().equals(wanted)).findFirst();
    }

    public static String names() {
        return MODELS.stream().map(Model::name).collect(Collectors.joining(", "));
    }
}
