"""Shared recipe of the architecture goldens (testdata/archs/<variant>/).

Each python/goldens/<variant>.py calls main() with the variant's config.json
(the older published layout, as the Hub holds most checkpoints), a seed, the
number and length of the sequences and, for llama31, a shard layout. It writes
under ROOT/archs/<variant>/:

- config.json: the given dict; config.transformers5.json: the same config as
  the pinned transformers loads it and writes it back (its own layout);
- the checkpoint (model.safetensors, or shards and an index), in the config's
  dtype: weights drawn by numpy's PCG64 (the same bits on every machine),
  N(0, initializer_range) for matrices, 0.1 N(0,1) for biases, norms
  1 + 0.1 N(0,1) (Gemma's (1 + w) norms: 0.1 N(0,1)), then rounded to the dtype;
- golden.safetensors: transformers' float32 eager forward of that checkpoint
  (bf16/f16 weights upcast exactly) on random ids: input_ids, queries.<l> and
  keys.<l> as the attention function receives them (after projection, bias,
  q/k-norm and RoPE; keys before GQA repetition), logits, and the reference
  calibration over every token in float64 (filters, filters_per_qhead,
  singular_values).

Deterministic: the weights and ids are the same bits everywhere; the floats
of the forward pass and the SVD are the same on one machine and agree within
float32 rounding across CPUs (make goldens-check compares within tolerance).
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import zlib

import numpy as np
import safetensors.numpy
import safetensors.torch as st
import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

transformers.utils.logging.disable_progress_bar()

NOTE = "float32 eager forward of the checkpoint in this folder; queries/keys post-RoPE [n_seq, heads, seq, head_dim]"
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def _args():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True, help="root to write archs/<variant>/ under (testdata/ layout)")
    return p.parse_args()


def _draw(name, shape, seed, gemma):
    """The value of one parameter, from a generator seeded by (seed, name)."""
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    z = rng.standard_normal(shape)
    if len(shape) == 1 and "norm" in name and name.endswith("weight"):
        return 0.1 * z if gemma else 1.0 + 0.1 * z
    if name.endswith("bias"):
        return 0.1 * z
    return 0.2 * z


def _checkpoint(model, cfg, dtype, seed):
    """Sets every parameter of model to its drawn value rounded to dtype."""
    gemma = cfg.model_type.startswith("gemma")
    with torch.no_grad():
        for name, p in model.named_parameters():
            v = torch.from_numpy(_draw(name, tuple(p.shape), seed, gemma).astype(np.float32))
            p.copy_(v.to(dtype).to(p.dtype))


def _write_shards(src, out, shards):
    """Re-splits the single-file checkpoint in src into the named shards."""
    tt = st.load_file(os.path.join(src, "model.safetensors"))
    files = sorted(set(shards.values()))
    weight_map, size = {}, 0
    for f in files:
        part = {k: tt[k] for k in sorted(shards) if shards[k] == f}
        st.save_file(part, os.path.join(out, f), metadata={"format": "pt"})
        for k, v in part.items():
            weight_map[k] = f
            size += v.numel() * v.element_size()
    missing = set(tt) - set(shards)
    if missing:
        sys.exit(f"shard layout misses tensors {sorted(missing)}")
    index = {"metadata": {"total_parameters": sum(t.numel() for t in tt.values()), "total_size": size},
             "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as fh:
        json.dump(index, fh, indent=2)
        fh.write("\n")


def _capture(model):
    """Patches the modeling module's eager attention to record (query, key)."""
    mod = sys.modules[type(model).__module__]
    orig = mod.eager_attention_forward
    seen = {}

    def eager(module, query, key, value, attention_mask, **kw):
        seen[module.layer_idx] = (query.detach().clone(), key.detach().clone())
        return orig(module, query, key, value, attention_mask, **kw)

    mod.eager_attention_forward = eager
    return seen


def reference_filters(queries, kv_heads):
    """The reference calibration over every position, in float64.

    queries: per layer, [n_seq, heads, seq, d]. Per query head: SVD of the
    [tokens, d] matrix X = U S V^T; v1 the first right singular vector,
    oriented so that its largest-magnitude entry is positive (the orientation
    LAPACK returns is arbitrary; this makes an exact tie of the vote below
    reproducible); sign = +1 if more than half of U[:, 0] is > 0 else -1;
    filter = -sign * v1. GQA: the mean of each group of consecutive query
    heads, not renormalized.
    """
    per_q, svals = [], []
    for q in queries:
        n, h, s, d = q.shape
        x = q.astype(np.float64).transpose(1, 0, 2, 3).reshape(h, n * s, d)
        fl, sl = [], []
        for hh in range(h):
            u, sv, vt = np.linalg.svd(x[hh], full_matrices=False)
            v1, u0 = vt[0], u[:, 0]
            if v1[np.argmax(np.abs(v1))] < 0:
                v1, u0 = -v1, -u0
            sign = 1.0 if np.sum(u0 > 0) > u0.size / 2 else -1.0
            fl.append(-sign * v1)
            sl.append(sv)
        per_q.append(fl)
        svals.append(sl)
    per_q = np.array(per_q)
    layers, heads, d = per_q.shape
    kv = per_q.reshape(layers, kv_heads, heads // kv_heads, d).mean(axis=2)
    return kv.astype(np.float32), per_q.astype(np.float32), np.array(svals).astype(np.float32)


def main(variant, config, seed, n_seq=3, seq_len=24, shards=None):
    torch.set_num_threads(1)  # one reduction order per machine
    out = os.path.join(_args().out, "archs", variant)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    with open(os.path.join(out, "config.json"), "w") as fh:
        json.dump(config, fh, indent=2, sort_keys=True)
    dtype = DTYPES[config.get("torch_dtype", "float32")]
    cfg = AutoConfig.from_pretrained(out)
    with tempfile.TemporaryDirectory() as tmp:
        cfg.save_pretrained(tmp)
        shutil.copy(os.path.join(tmp, "config.json"), os.path.join(out, "config.transformers5.json"))
        model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32, attn_implementation="eager")
        _checkpoint(model, cfg, dtype, seed)
        model.to(dtype).save_pretrained(tmp, max_shard_size="1GB")
        if shards:
            _write_shards(tmp, out, shards)
        else:
            shutil.copy(os.path.join(tmp, "model.safetensors"), os.path.join(out, "model.safetensors"))

    model = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32, attn_implementation="eager").eval()
    seen = _capture(model)
    rng = np.random.default_rng([seed, 1])
    ids = rng.integers(3, config["vocab_size"], size=(n_seq, seq_len), dtype=np.int64)
    ids[:, 0] = config.get("bos_token_id", 1)
    L = model.config.num_hidden_layers
    qs, ks, logits = [[] for _ in range(L)], [[] for _ in range(L)], []
    with torch.no_grad():
        for row in ids:
            seen.clear()
            o = model(torch.from_numpy(row)[None], use_cache=False)
            logits.append(o.logits[0].float().numpy())
            for layer in range(L):
                q, k = seen[layer]
                qs[layer].append(q[0].float().numpy())
                ks[layer].append(k[0].float().numpy())
    golden = {"input_ids": ids}
    queries = [np.stack(q) for q in qs]
    for layer in range(L):
        golden[f"queries.{layer}"] = queries[layer]
        golden[f"keys.{layer}"] = np.stack(ks[layer])
    golden["logits"] = np.stack(logits)
    kv_heads = golden["keys.0"].shape[1]
    golden["filters"], golden["filters_per_qhead"], golden["singular_values"] = reference_filters(queries, kv_heads)
    meta = {"transformers": transformers.__version__, "torch": torch.__version__, "note": NOTE,
            "recipe": f"python/goldens/{variant}.py"}
    golden = {k: np.ascontiguousarray(v) for k, v in golden.items()}
    safetensors.numpy.save_file(golden, os.path.join(out, "golden.safetensors"), metadata=meta)
    print(f"archs/{variant}: {L} layers, ids {list(ids.shape)}, transformers {transformers.__version__}")
