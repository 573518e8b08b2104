"""Goldens for Gemma 4 (gemma4_text, and Gemma4ForConditionalGeneration).

Needs a transformers with models/gemma4 (5.23 was used: installed beside the
project's venv with `pip install --no-deps --target DIR transformers==5.23.0
"tokenizers>=0.23.1,<0.24"` and run with PYTHONPATH=DIR).

Writes, per variant, ROOT/archs/<name>/{config.json, model.safetensors,
golden.safetensors}: tiny random checkpoints (bf16-exact weights), forward in
float32 eager on the CPU. golden.safetensors holds input_ids, queries.<l> /
keys.<l> of every layer as the attention function receives them (a layer that
reads a shared cache gets the owner's keys; sliding and global layers have
their own head dims and kv-head counts), logits, and the reference
calibration in float64 over every token, padded to the largest kv-head count
and head dim: filters [layers, max_kv_heads, max_head_dim],
filters_per_qhead / singular_values [layers, heads, max_head_dim]. A cache
read by several layers gets one filter from the queries of all of them, in
the owner's row; the readers' rows are zero.

Run: PYTHONPATH=DIR python python/goldens/gemma4.py --out ROOT
(python/goldens.py does it: this recipe says NEEDS_OVERLAY, and make pyenv
installs python/requirements-overlay.txt into the environment's overlay).
"""
import argparse
import importlib
import os

import numpy as np
import torch
import transformers
from safetensors.torch import save_file

SEED = 4321
N_SEQ, SEQ = 3, 25  # 75 rows per layer: an odd count, so the sign vote has no exact tie

BASE = dict(vocab_size=96, hidden_size=32, intermediate_size=48, num_hidden_layers=6, num_attention_heads=4,
            num_key_value_heads=2, head_dim=16, rms_norm_eps=1e-6, max_position_embeddings=4096,
            sliding_window=8, hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True,
            layer_types=["sliding_attention", "sliding_attention", "full_attention",
                         "sliding_attention", "sliding_attention", "full_attention"],
            rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                             "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.25,
                                                "rope_theta": 1000000.0}},
            global_head_dim=32, final_logit_softcapping=30.0, pad_token_id=0)


def text(**kw):
    d = dict(BASE)
    d.update(kw)
    return d


VARIANTS = {
    # Global layers: head dim 32 and (k_eq_v) one kv head; keys reused as
    # values; the last two layers read layers 3 (sliding) and 2 (global).
    "gemma4_text": text(attention_k_eq_v=True, num_global_key_value_heads=1, num_kv_shared_layers=2,
                        hidden_size_per_layer_input=0, use_double_wide_mlp=True),
    # Separate values, no sharing, per-layer embeddings.
    "gemma4_ple": text(attention_k_eq_v=False, num_kv_shared_layers=0, hidden_size_per_layer_input=8,
                       vocab_size_per_layer_input=96),
    # MoE block beside the dense MLP.
    "gemma4_moe": text(attention_k_eq_v=True, num_global_key_value_heads=1, num_kv_shared_layers=0,
                       hidden_size_per_layer_input=0, enable_moe_block=True, num_experts=4, top_k_experts=2,
                       moe_intermediate_size=16),
    # The wrapper, with PLE and KV sharing.
    "gemma4": text(attention_k_eq_v=True, num_global_key_value_heads=1, num_kv_shared_layers=2,
                   hidden_size_per_layer_input=8, vocab_size_per_layer_input=96),
}
VISION = dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
              num_key_value_heads=2, head_dim=8, patch_size=4, position_embedding_size=64, pooling_kernel_size=2)


def build(name):
    T = transformers
    cfg = VARIANTS[name]
    if name == "gemma4":
        return T.Gemma4ForConditionalGeneration(T.Gemma4Config(text_config=cfg, vision_config=VISION, audio_config=None))
    return T.Gemma4ForCausalLM(T.Gemma4TextConfig(**cfg))


def randomize(model, gen):
    for name, p in model.named_parameters():
        shape = p.shape
        if "norm" in name and p.dim() == 1:
            v = 1 + torch.randn(shape, generator=gen) * 0.2
        elif name.endswith("router.scale") or name.endswith("per_expert_scale"):
            v = 1 + torch.randn(shape, generator=gen) * 0.2
        elif "embed" in name:
            v = torch.randn(shape, generator=gen) * 0.3
        elif p.dim() == 1:
            v = torch.randn(shape, generator=gen) * 0.1
        else:
            v = torch.randn(shape, generator=gen) * (1.0 / shape[-1] ** 0.5)
        with torch.no_grad():
            p.copy_(v.to(torch.bfloat16).to(torch.float32))
    for name, b in model.named_buffers():
        if name.endswith("layer_scalar"):
            with torch.no_grad():
                b.copy_(torch.tensor([0.75], dtype=b.dtype))


def solve(rows):
    """The reference rule on float64 rows [n, d]: -sign * v1, singular values."""
    u, s, vt = np.linalg.svd(rows, full_matrices=False)
    sign = 1.0 if (u[:, 0] > 0).sum() > u.shape[0] / 2 else -1.0
    return -sign * vt[0], s


def reference(captured, cfg, layers, heads):
    modes = cfg.kv_sharing_modes
    types = cfg.layer_types
    owner = list(range(layers))
    for l in range(layers):
        if modes[l] == "reuse":
            owner[l] = max(i for i in range(l) if types[i] == types[l] and modes[i] == "store")
    dims = {l: captured[l][1].shape for l in range(layers)}  # keys [n, kv, seq, d]
    max_kv = max(s[1] for s in dims.values())
    max_d = max(s[3] for s in dims.values())
    filt = np.zeros((layers, max_kv, max_d), np.float64)
    per = np.zeros((layers, heads, max_d), np.float64)
    sv = np.zeros((layers, heads, max_d), np.float64)
    for o in sorted(set(owner)):
        readers = [l for l in range(layers) if owner[l] == o]
        kv, d = dims[o][1], dims[o][3]
        rep = heads // kv
        for h in range(heads):
            rows = np.concatenate([captured[l][0][:, h].reshape(-1, d).astype(np.float64) for l in readers])
            f, s = solve(rows)
            per[o, h, :d] = f
            sv[o, h, :len(s)] = s
        for g in range(kv):
            filt[o, g] = per[o, g * rep:(g + 1) * rep].mean(0)
    return owner, filt.astype(np.float32), per.astype(np.float32), sv.astype(np.float32)


def make(name, out):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    model = build(name)
    model.eval()
    randomize(model, gen)
    tc = model.config.get_text_config()
    mod = importlib.import_module("transformers.models.gemma4.modeling_gemma4")
    orig = mod.eager_attention_forward
    captured = {}

    def capture(module, query, key, value, *args, **kwargs):
        captured[module.layer_idx] = (query.detach().float().numpy().copy(), key.detach().float().numpy().copy())
        return orig(module, query, key, value, *args, **kwargs)

    mod.eager_attention_forward = capture
    model.config._attn_implementation = "eager"
    tc._attn_implementation = "eager"
    ids = torch.randint(1, tc.vocab_size, (N_SEQ, SEQ), generator=gen)
    try:
        with torch.no_grad():
            # output_hidden_states: keeps every position through the KV-shared
            # layers (5.23 otherwise slices them, and fails without PLE).
            logits = model(input_ids=ids, use_cache=False, output_hidden_states=True).logits.float()
    finally:
        mod.eager_attention_forward = orig
    layers, heads = tc.num_hidden_layers, tc.num_attention_heads
    assert sorted(captured) == list(range(layers))
    tensors = {"input_ids": ids.to(torch.int64), "logits": logits.contiguous()}
    for l, (q, k) in captured.items():
        tensors[f"queries.{l}"] = torch.from_numpy(q).contiguous()
        tensors[f"keys.{l}"] = torch.from_numpy(k).contiguous()
    owner, f, per, sv = reference(captured, tc, layers, heads)
    tensors["filters"] = torch.from_numpy(f)
    tensors["filters_per_qhead"] = torch.from_numpy(per)
    tensors["singular_values"] = torch.from_numpy(sv)
    tensors["cache_owner"] = torch.tensor(owner, dtype=torch.int64)
    dst = os.path.join(out, "archs", name)
    os.makedirs(dst, exist_ok=True)
    model.to(torch.bfloat16).save_pretrained(dst, safe_serialization=True)
    p = os.path.join(dst, "generation_config.json")
    if os.path.exists(p):
        os.remove(p)
    meta = {"torch": torch.__version__, "transformers": transformers.__version__,
            "note": "float32 eager forward; queries/keys [n_seq, heads, seq, head_dim] per layer (readers of a "
                    "shared cache get the owner's keys); filters padded to the largest kv heads and head dim, "
                    "one per cache from the queries of every layer reading it (cache_owner[l])"}
    save_file(tensors, os.path.join(dst, "golden.safetensors"), metadata=meta)
    print(name, "kv modes", tc.kv_sharing_modes, "owners", owner, "logits", tuple(logits.shape))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    torch.set_num_threads(1)
    for name in VARIANTS:
        if a.only and name != a.only:
            continue
        make(name, a.out)


if __name__ == "__main__":
    main()
