"""Goldens for the hybrid-attention Qwen models (Qwen3-Next, Qwen 3.5 dense and
MoE, bare and wrapped in Qwen3_5*ForConditionalGeneration).

Writes, per variant, ROOT/archs/<name>/{config.json, model.safetensors,
golden.safetensors}. Tiny random checkpoints (bf16 weights, upcast exactly),
forward in float32 eager on the CPU. golden.safetensors holds input_ids,
queries.<l> / keys.<l> for the full-attention layers only (post q/k-norm and
RoPE, as the attention function receives them), logits, and the reference
calibration in float64 over every token: filters [layers, kv_heads, head_dim],
filters_per_qhead and singular_values [layers, heads, head_dim], with zero
rows for the linear-attention layers (they have no KV cache, so no filter).

Run: python python/goldens/qwen35_hybrid.py --out ROOT
"""
import argparse
import importlib
import json
import os

import numpy as np
import torch
import transformers
from safetensors.torch import save_file

SEED = 1234
N_SEQ, SEQ = 2, 66  # crosses the 64-token chunk of the gated delta rule

LINEAR = dict(linear_conv_kernel_dim=4, linear_key_head_dim=16, linear_value_head_dim=16,
              linear_num_key_heads=2, linear_num_value_heads=4)
COMMON = dict(vocab_size=128, hidden_size=32, num_hidden_layers=4, num_attention_heads=4,
              num_key_value_heads=2, head_dim=32, rms_norm_eps=1e-6, max_position_embeddings=4096,
              tie_word_embeddings=False, layer_types=["linear_attention", "full_attention",
                                                      "linear_attention", "full_attention"], **LINEAR)
MROPE = {"rope_type": "default", "rope_theta": 10000000.0, "partial_rotary_factor": 0.25,
         "mrope_section": [2, 1, 1], "mrope_interleaved": True}
VISION = dict(depth=1, hidden_size=32, intermediate_size=64, num_heads=2, patch_size=4,
              temporal_patch_size=2, spatial_merge_size=2, out_hidden_size=32, num_position_embeddings=16)


def variants():
    T = transformers
    yield "qwen3_next", "qwen3_next", lambda: T.Qwen3NextForCausalLM(T.Qwen3NextConfig(
        **COMMON, intermediate_size=64, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16,
        shared_expert_intermediate_size=24, decoder_sparse_step=1, mlp_only_layers=[2], norm_topk_prob=True,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25}))
    yield "qwen3_5_text", "qwen3_5", lambda: T.Qwen3_5ForCausalLM(T.Qwen3_5TextConfig(
        **COMMON, intermediate_size=64, rope_parameters=dict(MROPE)))
    yield "qwen3_5", "qwen3_5", lambda: T.Qwen3_5ForConditionalGeneration(T.Qwen3_5Config(
        text_config=dict(**COMMON, intermediate_size=64, rope_parameters=dict(MROPE)), vision_config=VISION))
    yield "qwen3_5_moe_text", "qwen3_5_moe", lambda: T.Qwen3_5MoeForCausalLM(T.Qwen3_5MoeTextConfig(
        **COMMON, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16,
        shared_expert_intermediate_size=24, rope_parameters=dict(MROPE)))
    yield "qwen3_5_moe", "qwen3_5_moe", lambda: T.Qwen3_5MoeForConditionalGeneration(T.Qwen3_5MoeConfig(
        text_config=dict(**COMMON, num_experts=4, num_experts_per_tok=2, moe_intermediate_size=16,
                         shared_expert_intermediate_size=24, rope_parameters=dict(MROPE)), vision_config=VISION))


def randomize(model, gen):
    """Every parameter random and bf16-exact, at scales that keep activations
    lively: (1+w) RMSNorm weights near 0, the gated norm's near 1, decay
    parameters in their trained ranges."""
    for name, p in model.named_parameters():
        shape = p.shape
        if name.endswith("A_log"):
            v = torch.log(torch.empty(shape).uniform_(0.5, 8, generator=gen))
        elif name.endswith("dt_bias"):
            v = torch.randn(shape, generator=gen) * 0.5
        elif "linear_attn.norm" in name:
            v = 1 + torch.randn(shape, generator=gen) * 0.2
        elif "norm" in name and p.dim() == 1:
            v = torch.randn(shape, generator=gen) * 0.2
        elif "conv1d" in name:
            v = torch.randn(shape, generator=gen) * 0.4
        elif "embed" in name:
            v = torch.randn(shape, generator=gen) * 0.5
        elif p.dim() == 1:
            v = torch.randn(shape, generator=gen) * 0.1
        else:
            v = torch.randn(shape, generator=gen) * (1.0 / shape[-1] ** 0.5)
        with torch.no_grad():
            p.copy_(v.to(torch.bfloat16).to(torch.float32))


def reference_filters(queries, layers, heads, kv_heads, d):
    """The reference calibration in float64 over every token; zero rows for
    layers without attention."""
    filt = np.zeros((layers, kv_heads, d), np.float64)
    per = np.zeros((layers, heads, d), np.float64)
    sv = np.zeros((layers, heads, d), np.float64)
    rep = heads // kv_heads
    for l, q in queries.items():  # q [n_seq, heads, seq, d]
        for h in range(heads):
            x = q[:, h].reshape(-1, d).astype(np.float64)
            u, s, vt = np.linalg.svd(x, full_matrices=False)
            sign = 1.0 if (u[:, 0] > 0).sum() > u.shape[0] / 2 else -1.0
            per[l, h] = -sign * vt[0]
            sv[l, h, :len(s)] = s
        for g in range(kv_heads):
            filt[l, g] = per[l, g * rep:(g + 1) * rep].mean(0)
    return filt.astype(np.float32), per.astype(np.float32), sv.astype(np.float32)


def make(name, module_name, build, out):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    model = build()
    model.eval()
    randomize(model, gen)
    text_cfg = model.config.get_text_config()
    captured = {}
    mod = importlib.import_module(f"transformers.models.{module_name}.modeling_{module_name}")
    orig = mod.eager_attention_forward

    def capture(module, query, key, value, *args, **kwargs):
        captured[module.layer_idx] = (query.detach().clone(), key.detach().clone())
        return orig(module, query, key, value, *args, **kwargs)

    mod.eager_attention_forward = capture
    model.config._attn_implementation = "eager"
    text_cfg._attn_implementation = "eager"
    ids = torch.randint(0, text_cfg.vocab_size, (N_SEQ, SEQ), generator=gen)
    try:
        with torch.no_grad():
            logits = model(input_ids=ids, use_cache=False).logits.float()
    finally:
        mod.eager_attention_forward = orig
    layers, heads, kv, d = text_cfg.num_hidden_layers, text_cfg.num_attention_heads, \
        text_cfg.num_key_value_heads, text_cfg.head_dim
    attn = [l for l, t in enumerate(text_cfg.layer_types) if t == "full_attention"]
    assert sorted(captured) == attn, (sorted(captured), attn)
    tensors = {"input_ids": ids.to(torch.int64), "logits": logits.contiguous()}
    qs = {}
    for l in attn:
        q, k = captured[l]
        tensors[f"queries.{l}"] = q.float().contiguous()
        tensors[f"keys.{l}"] = k.float().contiguous()
        qs[l] = q.float().numpy()
    f, per, sv = reference_filters(qs, layers, heads, kv, d)
    tensors["filters"] = torch.from_numpy(f)
    tensors["filters_per_qhead"] = torch.from_numpy(per)
    tensors["singular_values"] = torch.from_numpy(sv)

    dst = os.path.join(out, "archs", name)
    os.makedirs(dst, exist_ok=True)
    model.to(torch.bfloat16).save_pretrained(dst, safe_serialization=True)
    for extra in ("generation_config.json",):
        p = os.path.join(dst, extra)
        if os.path.exists(p):
            os.remove(p)
    meta = {"torch": torch.__version__, "transformers": transformers.__version__,
            "note": "float32 eager forward of the checkpoint in this folder; queries/keys post-RoPE "
                    "[n_seq, heads, seq, head_dim] for the full-attention layers; filters zero on linear-attention layers"}
    save_file(tensors, os.path.join(dst, "golden.safetensors"), metadata=meta)
    print(name, "attention layers", attn, "logits", tuple(logits.shape))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    torch.set_num_threads(1)
    for name, module_name, build in variants():
        if a.only and name != a.only:
            continue
        make(name, module_name, build, a.out)


if __name__ == "__main__":
    main()
