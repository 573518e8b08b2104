"""Golden recipe: testdata/archs/olmo2/ (q/k norm over the whole projection, post-norms, f32).

Run: python python/goldens/olmo2.py --out ROOT (writes ROOT/archs/olmo2/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "Olmo2ForCausalLM"
    ],
    "attention_bias": False,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 2048,
    "model_type": "olmo2",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 4,
    "pad_token_id": 0,
    "rms_norm_eps": 1e-06,
    "rope_theta": 500000.0,
    "tie_word_embeddings": False,
    "torch_dtype": "float32",
    "use_cache": True,
    "vocab_size": 384
}

if __name__ == "__main__":
    _arch.main("olmo2", CONFIG, seed=1007, n_seq=3, seq_len=24)
