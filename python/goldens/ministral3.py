"""Golden for Ministral 3 (model_type ministral3): the Llama layout with YaRN
RoPE whose queries are scaled after RoPE by 1 + beta*ln(1 + floor(pos /
original_max_position_embeddings)), beta = llama_4_scaling_beta. The original
context is 16 tokens and the sequences 40, so positions 16..39 are scaled
(by 1 + 0.1 ln 2 and 1 + 0.1 ln 3).

Usage: python python/goldens/ministral3.py --out ROOT
Writes ROOT/archs/ministral3/{config.json, config.transformers5.json,
model.safetensors, golden.safetensors}. Deterministic: fixed seeds, CPU,
float32 eager forward of bf16-rounded weights, by _tiny.make (shared with
rope_scaling.py).
"""
import argparse

from _tiny import make

BASE = {
    "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 64,
    "initializer_range": 0.2, "intermediate_size": 128, "num_attention_heads": 4,
    "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
    "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True, "vocab_size": 384,
}

MINISTRAL3 = {"architectures": ["Ministral3ForCausalLM"], "model_type": "ministral3", "head_dim": 16,
              "sliding_window": None}

VARIANTS = {
    # config.json in the older layout (rope_theta at the top, rope_scaling);
    # config.transformers5.json is what transformers writes back.
    "ministral3": (MINISTRAL3, {"max_position_embeddings": 64, "rope_theta": 1000000.0, "rope_scaling": {
        "type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16,
        "beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0, "llama_4_scaling_beta": 0.1}}, 40),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    for name, (fam, extra, seq) in VARIANTS.items():
        if a.only and name != a.only:
            continue
        make(name, BASE, fam, extra, seq, a.out, "ministral3.py")


if __name__ == "__main__":
    main()
