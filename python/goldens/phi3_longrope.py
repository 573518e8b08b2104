"""Golden recipe: testdata/archs/phi3_longrope/ (fused qkv and gate_up, longrope scaling).

Run: python python/goldens/phi3_longrope.py --out ROOT (writes ROOT/archs/phi3_longrope/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "Phi3ForCausalLM"
    ],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 131072,
    "model_type": "phi3",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 4,
    "original_max_position_embeddings": 4096,
    "pad_token_id": 0,
    "rms_norm_eps": 1e-05,
    "rope_scaling": {
        "long_factor": [
            1.0,
            1.5,
            2.0,
            2.5,
            3.0,
            3.5,
            4.0,
            4.5
        ],
        "short_factor": [
            1.0,
            1.05,
            1.1,
            1.15,
            1.2,
            1.25,
            1.3,
            1.35
        ],
        "type": "longrope"
    },
    "rope_theta": 10000.0,
    "sliding_window": None,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "vocab_size": 384
}

if __name__ == "__main__":
    _arch.main("phi3_longrope", CONFIG, seed=1005, n_seq=3, seq_len=24)
