"""Goldens for every RoPE scaling type of transformers 5.x on tiny Llama / Qwen 2
checkpoints, at calibration lengths that exercise each one.

Usage: python python/goldens/rope_scaling.py --out ROOT
Writes ROOT/archs/<variant>/{config.json, config.transformers5.json,
model.safetensors, golden.safetensors} for:
  rope_linear     llama, rope_scaling linear (older layout)
  rope_dynamic    llama, dynamic NTK, 48 tokens past max_position_embeddings 32
  rope_yarn       qwen2, yarn (truncate left to its default, True)
  rope_yarn_mscale llama, yarn with truncate false, mscale / mscale_all_dim,
                  beta_fast / beta_slow (rope_parameters layout)
  rope_longrope   llama, longrope, 40 tokens past original 16: the long factors
Deterministic: fixed seeds, CPU, float32 eager forward of bf16-rounded weights.
Shares _tiny.py (checkpoint, forward, reference filters) with ministral3.py.
"""
import argparse

from _tiny import make

BASE = {
    "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 64,
    "initializer_range": 0.2, "intermediate_size": 128, "num_attention_heads": 4,
    "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True, "vocab_size": 384,
}

LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "attention_bias": False, "mlp_bias": False}
QWEN2 = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "sliding_window": None,
         "use_sliding_window": False, "max_window_layers": 2}

VARIANTS = {
    "rope_linear": (LLAMA, {"max_position_embeddings": 2048, "rope_theta": 10000.0,
                            "rope_scaling": {"type": "linear", "factor": 4.0}}, 32),
    "rope_dynamic": (LLAMA, {"max_position_embeddings": 32, "rope_theta": 10000.0,
                             "rope_scaling": {"type": "dynamic", "factor": 2.0}}, 48),
    "rope_yarn": (QWEN2, {"max_position_embeddings": 16384, "rope_theta": 10000.0,
                          "rope_scaling": {"type": "yarn", "factor": 4.0,
                                           "original_max_position_embeddings": 4096}}, 32),
    "rope_yarn_mscale": (LLAMA, {"max_position_embeddings": 32768, "rope_parameters": {
        "rope_type": "yarn", "rope_theta": 10000.0, "factor": 8.0, "original_max_position_embeddings": 4096,
        "truncate": False, "mscale": 0.707, "mscale_all_dim": 1.0, "beta_fast": 16.0, "beta_slow": 2.0}}, 32),
    "rope_longrope": (LLAMA, {"max_position_embeddings": 64, "rope_theta": 10000.0, "rope_scaling": {
        "type": "longrope", "original_max_position_embeddings": 16,
        "short_factor": [1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7],
        "long_factor": [1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0]}}, 40),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    for name, (fam, extra, seq) in VARIANTS.items():
        if a.only and name != a.only:
            continue
        make(name, BASE, fam, extra, seq, a.out, "rope_scaling.py")


if __name__ == "__main__":
    main()
