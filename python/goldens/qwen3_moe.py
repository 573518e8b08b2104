"""Golden recipe: testdata/archs/qwen3_moe/ (sparse MoE MLPs, per-expert tensors).

Run: python python/goldens/qwen3_moe.py --out ROOT (writes ROOT/archs/qwen3_moe/).
What it writes and how: python/goldens/_arch.py.
"""

import _arch

CONFIG = {
    "architectures": [
        "Qwen3MoeForCausalLM"
    ],
    "bos_token_id": 1,
    "decoder_sparse_step": 1,
    "eos_token_id": 2,
    "head_dim": 32,
    "hidden_act": "silu",
    "hidden_size": 64,
    "initializer_range": 0.2,
    "intermediate_size": 128,
    "max_position_embeddings": 2048,
    "max_window_layers": 3,
    "mlp_only_layers": [],
    "model_type": "qwen3_moe",
    "moe_intermediate_size": 32,
    "norm_topk_prob": True,
    "num_attention_heads": 4,
    "num_experts": 4,
    "num_experts_per_tok": 2,
    "num_hidden_layers": 3,
    "num_key_value_heads": 2,
    "output_router_logits": False,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "router_aux_loss_coef": 0.0,
    "sliding_window": None,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "use_sliding_window": False,
    "vocab_size": 384
}

if __name__ == "__main__":
    _arch.main("qwen3_moe", CONFIG, seed=1012, n_seq=3, seq_len=24)
