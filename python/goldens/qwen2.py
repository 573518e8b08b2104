"""Golden recipe: testdata/archs/qwen2/ (q/k/v bias, tied embeddings).

Run: python python/goldens/qwen2.py --out ROOT (writes ROOT/archs/qwen2/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "Qwen2ForCausalLM"
    ],
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "silu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 2048,
    "max_window_layers": 3,
    "model_type": "qwen2",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": None,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "use_sliding_window": False,
    "vocab_size": 384
}

if __name__ == "__main__":
    _arch.main("qwen2", CONFIG, seed=1003, n_seq=3, seq_len=24)
