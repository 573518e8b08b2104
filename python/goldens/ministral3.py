"""Golden for Ministral 3 (model_type ministral3): the Llama layout with YaRN
RoPE whose queries are scaled after RoPE by 1 + beta*ln(1 + floor(pos /
original_max_position_embeddings)), beta = llama_4_scaling_beta. The original
context is 16 tokens and the sequences 40, so positions 16..39 are scaled
(by 1 + 0.1 ln 2 and 1 + 0.1 ln 3).

Usage: python python/goldens/ministral3.py --out ROOT
Writes ROOT/archs/ministral3/{config.json, config.transformers5.json,
model.safetensors, golden.safetensors}. Deterministic: fixed seeds, CPU,
float32 eager forward of bf16-rounded weights. Self-contained: imports torch,
transformers, safetensors and the stdlib only.
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

MINISTRAL3 = {"architectures": ["Ministral3ForCausalLM"], "model_type": "ministral3", "head_dim": 16,
              "sliding_window": None}

VARIANTS = {
    # config.json in the older layout (rope_theta at the top, rope_scaling);
    # config.transformers5.json is what transformers writes back.
    "ministral3": (MINISTRAL3, {"max_position_embeddings": 64, "rope_theta": 1000000.0, "rope_scaling": {
        "type": "yarn", "factor": 4.0, "original_max_position_embeddings": 16,
        "beta_fast": 32.0, "beta_slow": 1.0, "mscale": 1.0, "mscale_all_dim": 1.0, "llama_4_scaling_beta": 0.1}}, 40),
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
                    "[n_seq, heads, seq, head_dim]; recipe python/goldens/ministral3.py"}
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
