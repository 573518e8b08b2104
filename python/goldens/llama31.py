"""Golden recipe: testdata/archs/llama31/ (llama3 rope scaling, GQA, bf16, 10 shards + index).

Run: python python/goldens/llama31.py --out ROOT (writes ROOT/archs/llama31/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "LlamaForCausalLM"
    ],
    "attention_bias": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "head_dim": 16,
    "hidden_act": "silu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 131072,
    "mlp_bias": False,
    "model_type": "llama",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {
        "factor": 8.0,
        "high_freq_factor": 4.0,
        "low_freq_factor": 1.0,
        "original_max_position_embeddings": 8192,
        "rope_type": "llama3"
    },
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "vocab_size": 384
}

# The shard layout: which file holds which tensor (10 shards, the first
# holding only the embedding).
SHARDS = {
    "lm_head.weight": "model-00009-of-00010.safetensors",
    "model.embed_tokens.weight": "model-00001-of-00010.safetensors",
    "model.layers.0.input_layernorm.weight": "model-00004-of-00010.safetensors",
    "model.layers.0.mlp.down_proj.weight": "model-00004-of-00010.safetensors",
    "model.layers.0.mlp.gate_proj.weight": "model-00003-of-00010.safetensors",
    "model.layers.0.mlp.up_proj.weight": "model-00003-of-00010.safetensors",
    "model.layers.0.post_attention_layernorm.weight": "model-00004-of-00010.safetensors",
    "model.layers.0.self_attn.k_proj.weight": "model-00002-of-00010.safetensors",
    "model.layers.0.self_attn.o_proj.weight": "model-00002-of-00010.safetensors",
    "model.layers.0.self_attn.q_proj.weight": "model-00002-of-00010.safetensors",
    "model.layers.0.self_attn.v_proj.weight": "model-00002-of-00010.safetensors",
    "model.layers.1.input_layernorm.weight": "model-00006-of-00010.safetensors",
    "model.layers.1.mlp.down_proj.weight": "model-00006-of-00010.safetensors",
    "model.layers.1.mlp.gate_proj.weight": "model-00005-of-00010.safetensors",
    "model.layers.1.mlp.up_proj.weight": "model-00006-of-00010.safetensors",
    "model.layers.1.post_attention_layernorm.weight": "model-00006-of-00010.safetensors",
    "model.layers.1.self_attn.k_proj.weight": "model-00004-of-00010.safetensors",
    "model.layers.1.self_attn.o_proj.weight": "model-00005-of-00010.safetensors",
    "model.layers.1.self_attn.q_proj.weight": "model-00004-of-00010.safetensors",
    "model.layers.1.self_attn.v_proj.weight": "model-00004-of-00010.safetensors",
    "model.layers.2.input_layernorm.weight": "model-00010-of-00010.safetensors",
    "model.layers.2.mlp.down_proj.weight": "model-00010-of-00010.safetensors",
    "model.layers.2.mlp.gate_proj.weight": "model-00008-of-00010.safetensors",
    "model.layers.2.mlp.up_proj.weight": "model-00008-of-00010.safetensors",
    "model.layers.2.post_attention_layernorm.weight": "model-00010-of-00010.safetensors",
    "model.layers.2.self_attn.k_proj.weight": "model-00007-of-00010.safetensors",
    "model.layers.2.self_attn.o_proj.weight": "model-00007-of-00010.safetensors",
    "model.layers.2.self_attn.q_proj.weight": "model-00007-of-00010.safetensors",
    "model.layers.2.self_attn.v_proj.weight": "model-00007-of-00010.safetensors",
    "model.norm.weight": "model-00010-of-00010.safetensors"
}

if __name__ == "__main__":
    _arch.main("llama31", CONFIG, seed=1000, n_seq=3, seq_len=24, shards=SHARDS)
