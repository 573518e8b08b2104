"""Golden recipe: testdata/archs/gpt_neox/ (fused per-head qkv, partial rotary 0.25, parallel residual, LayerNorm with bias, f16).

Run: python python/goldens/gpt_neox.py --out ROOT (writes ROOT/archs/gpt_neox/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "GPTNeoXForCausalLM"
    ],
    "attention_bias": True,
    "bos_token_id": 1,
    "eos_token_id": 2,
    "hidden_act": "gelu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "layer_norm_eps": 1e-05,
    "max_position_embeddings": 2048,
    "model_type": "gpt_neox",
    "num_attention_heads": 4,
    "num_hidden_layers": 3,
    "rotary_emb_base": 10000,
    "rotary_pct": 0.25,
    "tie_word_embeddings": False,
    "torch_dtype": "float16",
    "use_cache": True,
    "use_parallel_residual": True,
    "vocab_size": 384
}

if __name__ == "__main__":
    _arch.main("gpt_neox", CONFIG, seed=1010, n_seq=3, seq_len=24)
