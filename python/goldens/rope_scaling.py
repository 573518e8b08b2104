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
Self-contained: imports torch, transformers, safetensors and the stdlib only.
"""
import argparse
import copy
import json
import os
import shutil
import sys
import tempfile

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForCausalLM

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


def capture_attention(model):
    """Record the queries and keys each layer's eager attention receives."""
    attn = model.model.layers[0].self_attn
    mod = sys.modules[type(attn).__module__]
    orig = mod.eager_attention_forward
    got = {}

    def wrapped(module, query, key, value, *args, **kwargs):
        got[("queries", module.layer_idx)] = query.detach().clone()
        got[("keys", module.layer_idx)] = key.detach().clone()
        return orig(module, query, key, value, *args, **kwargs)

    mod.eager_attention_forward = wrapped
    return got, lambda: setattr(mod, "eager_attention_forward", orig)


def reference_filters(queries, kv_heads):
    """The reference calibration over every token, in float64: per query head
    the first right singular vector, sign by majority vote of U[:,0] > 0,
    negated; kv filters are the GQA group means (not renormalized)."""
    layers = len(queries)
    heads, d = queries[0].shape[1], queries[0].shape[-1]
    per_q = torch.zeros(layers, heads, d, dtype=torch.float64)
    sv = torch.zeros(layers, heads, d, dtype=torch.float64)
    for l, q in enumerate(queries):
        for h in range(heads):
            x = q[:, h].reshape(-1, d).to(torch.float64)
            u, s, vh = torch.linalg.svd(x, full_matrices=False)
            sign = 1.0 if (u[:, 0] > 0).sum().item() > u.shape[0] / 2 else -1.0
            per_q[l, h] = -sign * vh[0]
            sv[l, h, : s.shape[0]] = s
    rep = heads // kv_heads
    kv = per_q.reshape(layers, kv_heads, rep, d).mean(dim=2)
    return kv.float(), per_q.float(), sv.float()


def make(name, family, extra, seq, root, n_seq=2, seed=0):
    cfg = dict(BASE)
    cfg.update(family)
    cfg.update(extra)
    out = os.path.join(root, "archs", name)
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
        config = AutoConfig.from_pretrained(tmp)
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
        model.eval()
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).to(torch.float32))
        saved = os.path.join(tmp, "saved")
        # A copy goes to bf16 for saving: .to() would also round the model's
        # float32 RoPE buffers (inv_freq) to bf16.
        copy.deepcopy(model).to(torch.bfloat16).save_pretrained(saved)
        shutil.copy(os.path.join(tmp, "config.json"), os.path.join(out, "config.json"))
        shutil.copy(os.path.join(saved, "config.json"), os.path.join(out, "config.transformers5.json"))
        shutil.copy(os.path.join(saved, "model.safetensors"), os.path.join(out, "model.safetensors"))
    g = torch.Generator().manual_seed(seed + 1)
    ids = torch.randint(3, cfg["vocab_size"], (n_seq, seq), generator=g)
    got, restore = capture_attention(model)
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    restore()
    layers = cfg["num_hidden_layers"]
    tensors = {"input_ids": ids.to(torch.int64), "logits": logits.float().contiguous()}
    for l in range(layers):
        tensors[f"queries.{l}"] = got[("queries", l)].float().contiguous()
        tensors[f"keys.{l}"] = got[("keys", l)].float().contiguous()
    kv, per_q, sv = reference_filters([got[("queries", l)] for l in range(layers)], cfg["num_key_value_heads"])
    tensors.update({"filters": kv, "filters_per_qhead": per_q, "singular_values": sv})
    meta = {"torch": torch.__version__, "transformers": transformers.__version__,
            "note": "float32 eager forward of the checkpoint in this folder; queries/keys post-RoPE "
                    "[n_seq, heads, seq, head_dim]; recipe python/goldens/rope_scaling.py"}
    save_file(tensors, os.path.join(out, "golden.safetensors"), metadata=meta)
    print(name, "written:", out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    for name, (fam, extra, seq) in VARIANTS.items():
        if a.only and name != a.only:
            continue
        make(name, fam, extra, seq, a.out)


if __name__ == "__main__":
    main()
