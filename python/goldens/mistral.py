"""Golden recipe: testdata/archs/mistral/ (head_dim 32 != hidden/heads).

Run: python python/goldens/mistral.py --out ROOT (writes ROOT/archs/mistral/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "MistralForCausalLM"
    ],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "head_dim": 32,
    "hidden_act": "silu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 2048,
    "model_type": "mistral",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-05,
    "rope_theta": 1000000.0,
    "sliding_window": None,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "vocab_size": 384
}

if __name__ == "__main__":
    _arch.main("mistral", CONFIG, seed=1002, n_seq=3, seq_len=24)
