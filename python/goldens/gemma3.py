"""Golden recipe: testdata/archs/gemma3/ (q/k norm, local/global rope, sliding window).

Run: python python/goldens/gemma3.py --out ROOT (writes ROOT/archs/gemma3/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "Gemma3ForCausalLM"
    ],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "head_dim": 16,
    "hidden_act": "silu",
    "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "layer_types": [
        "sliding_attention",
        "full_attention",
        "sliding_attention",
        "full_attention"
    ],
    "max_position_embeddings": 2048,
    "model_type": "gemma3_text",
    "num_attention_heads": 4,
    "num_hidden_layers": 4,
    "num_key_value_heads": 2,
    "pad_token_id": 0,
    "query_pre_attn_scalar": 16,
    "rms_norm_eps": 1e-06,
    "rope_local_base_freq": 10000.0,
    "rope_scaling": {
        "factor": 8.0,
        "rope_type": "linear"
    },
    "rope_theta": 1000000.0,
    "sliding_window": 16,
    "sliding_window_pattern": 2,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "vocab_size": 384
}

if __name__ == "__main__":
    _arch.main("gemma3", CONFIG, seed=1009, n_seq=3, seq_len=40)
