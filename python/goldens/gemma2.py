"""Golden recipe: testdata/archs/gemma2/ (softcaps, sliding window 16, scaled embeddings, (1+w) norms).

Run: python python/goldens/gemma2.py --out ROOT (writes ROOT/archs/gemma2/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "Gemma2ForCausalLM"
    ],
    "attn_logit_softcapping": 50.0,
    "bos_token_id": 1,
    "cache_implementation": "hybrid",
    "eos_token_id": 2,
    "final_logit_softcapping": 30.0,
    "head_dim": 16,
    "hidden_act": "gelu_pytorch_tanh",
    "hidden_activation": "gelu_pytorch_tanh",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 2048,
    "model_type": "gemma2",
    "num_attention_heads": 4,
    "num_hidden_layers": 4,
    "num_key_value_heads": 2,
    "pad_token_id": 0,
    "query_pre_attn_scalar": 16,
    "rms_norm_eps": 1e-06,
    "rope_theta": 10000.0,
    "sliding_window": 16,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "vocab_size": 384
}

if __name__ == "__main__":
    _arch.main("gemma2", CONFIG, seed=1008, n_seq=3, seq_len=40)
