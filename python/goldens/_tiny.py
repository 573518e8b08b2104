"""Shared by the tiny-checkpoint golden recipes (rope_scaling.py,
ministral3.py): build a seeded checkpoint from a config, run transformers'
float32 eager forward, record the queries and keys each attention layer
receives and the reference calibration. Not a recipe (its name starts with _).
"""
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


def make(name, base, family, extra, seq, root, recipe, n_seq=2, seed=0):
    """Writes ROOT/archs/<name>: the tiny checkpoint of config base + family +
    extra (seeded, bf16-exact weights) and its golden over n_seq sequences of
    seq tokens."""
    cfg = dict(base)
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
                    "[n_seq, heads, seq, head_dim]; recipe python/goldens/" + recipe}
    save_file(tensors, os.path.join(out, "golden.safetensors"), metadata=meta)
    print(name, "written:", out)
