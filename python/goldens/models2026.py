"""Goldens for the 2025-26 families of issue 25: SmolLM3 (NoPE layers),
OLMo 3 (sliding and full), Granite 3 and Granite MoE (multipliers), GLM-4
(interleaved partial RoPE, extra norms), GLM-4.5 (sigmoid router with
correction bias and groups, shared expert, dense first layers, with and
without q/k norm), Cohere 2 (parallel block, bias-less LayerNorm, sliding
RoPE layers and global NoPE layers, logit scale), Llama 4 (chunked RoPE
layers with L2 q/k norm, NoPE layers with temperature tuning, MoE with a
shared expert on interleaved layers), bare and in its
Llama4ForConditionalGeneration wrapper.

Writes, per variant, ROOT/archs/<name>/{config.json, config.transformers5.json,
model.safetensors, golden.safetensors}. Tiny random checkpoints (bf16
weights, upcast exactly), forward in float32 eager on the CPU.
config.transformers5.json is what transformers 5 writes; config.json is the
older published layout of the same model (rope_theta / rope_scaling at the
top level, derived per-layer lists left out where the config class derives
them). golden.safetensors holds input_ids, queries.<l> / keys.<l> as the
attention function receives them (post q/k-norm and RoPE on RoPE layers;
as projected, after any norm or temperature, on NoPE layers), logits, and
the reference calibration in float64 over every token: filters
[layers, kv_heads, head_dim], filters_per_qhead and singular_values
[layers, heads, head_dim].

Run: python python/goldens/models2026.py --out ROOT [--only NAME ...]
"""
import argparse
import importlib
import json
import os

import numpy as np
import torch
import transformers
from safetensors.torch import save_file

SEED = 2026
N_SEQ, SEQ = 3, 40
COMMON = dict(vocab_size=256, hidden_size=64, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
              max_position_embeddings=4096, tie_word_embeddings=False, pad_token_id=0, bos_token_id=1,
              eos_token_id=2)
VISION = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=32,
              patch_size=16, vision_output_dim=32, projector_input_dim=32, projector_output_dim=32,
              intermediate_layers_indices=[0], pixel_shuffle_ratio=0.5)


def variants():
    """name, modeling module, model builder, legacy(config dict) -> older layout."""
    T = transformers
    yield "smollm3", "smollm3", lambda: T.SmolLM3ForCausalLM(T.SmolLM3Config(
        **COMMON, num_hidden_layers=4, intermediate_size=128, no_rope_layer_interval=2,
        rope_parameters={"rope_type": "default", "rope_theta": 50000.0})), drop("no_rope_layers", "layer_types")
    yield "olmo3", "olmo3", lambda: T.Olmo3ForCausalLM(T.Olmo3Config(
        **COMMON, num_hidden_layers=4, intermediate_size=128, sliding_window=12,
        rope_parameters={"rope_type": "default", "rope_theta": 500000.0})), drop("layer_types")
    yield "granite", "granite", lambda: T.GraniteForCausalLM(T.GraniteConfig(
        **COMMON, num_hidden_layers=3, intermediate_size=128, embedding_multiplier=12.0, residual_multiplier=0.22,
        attention_multiplier=0.0078125 * 16, logits_scaling=8.0, attention_bias=True,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0})), drop()
    yield "granitemoe", "granitemoe", lambda: T.GraniteMoeForCausalLM(T.GraniteMoeConfig(
        **COMMON, num_hidden_layers=3, intermediate_size=32, num_local_experts=4, num_experts_per_tok=2,
        embedding_multiplier=12.0, residual_multiplier=0.22, attention_multiplier=0.125, logits_scaling=6.0,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0})), drop()
    half = {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5}
    yield "glm4", "glm4", lambda: T.Glm4ForCausalLM(T.Glm4Config(
        **COMMON, num_hidden_layers=3, intermediate_size=128, attention_bias=True, rope_parameters=dict(half))), drop()
    moe = dict(num_hidden_layers=3, intermediate_size=128, moe_intermediate_size=16, n_routed_experts=8,
               num_experts_per_tok=2, n_shared_experts=2, first_k_dense_replace=1, rope_parameters=dict(half))
    yield "glm4_moe", "glm4_moe", lambda: T.Glm4MoeForCausalLM(T.Glm4MoeConfig(
        **COMMON, **moe, use_qk_norm=True, attention_bias=True, n_group=2, topk_group=1,
        routed_scaling_factor=2.5, norm_topk_prob=True)), drop()
    yield "glm4_moe_noqknorm", "glm4_moe", lambda: T.Glm4MoeForCausalLM(T.Glm4MoeConfig(
        **COMMON, **moe, use_qk_norm=False, n_group=1, topk_group=1, routed_scaling_factor=1.0,
        norm_topk_prob=False)), drop()
    yield "cohere2", "cohere2", lambda: T.Cohere2ForCausalLM(T.Cohere2Config(
        **{**COMMON, "tie_word_embeddings": True}, num_hidden_layers=4, intermediate_size=128, logit_scale=0.25,
        sliding_window=12, rope_parameters={"rope_type": "default", "rope_theta": 50000.0})), \
        with_keys(drop("layer_types"), sliding_window_pattern=4)
    # Llama 4 Scout's RoPE (llama3 scaling with equal low and high frequency
    # factors), chunks of 16, NoPE on layers 1 and 3 (temperature floor 8 so
    # that it varies over 40 tokens), MoE on layers 1 and 3.
    scout = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 16.0, "low_freq_factor": 1.0,
             "high_freq_factor": 1.0, "original_max_position_embeddings": 64}
    l4 = dict(COMMON, num_hidden_layers=4, intermediate_size=32, intermediate_size_mlp=128, num_local_experts=4,
              interleave_moe_layer_step=2, no_rope_layer_interval=2, attention_chunk_size=16, floor_scale=8,
              attn_scale=0.1, use_qk_norm=True, rope_parameters=scout)
    yield "llama4_text", "llama4", lambda: T.Llama4ForCausalLM(T.Llama4TextConfig(**l4, num_experts_per_tok=2)), \
        with_keys(drop("layer_types", "no_rope_layers", "moe_layers"), no_rope_layer_interval=2)
    yield "llama4", "llama4", lambda: T.Llama4ForConditionalGeneration(T.Llama4Config(
        text_config=dict(l4, num_experts_per_tok=1), vision_config=VISION)), drop()


def with_keys(legacy, **keys):
    def f(cfg):
        cfg = legacy(cfg)
        cfg.update(keys)
        return cfg
    return f


def drop(*keys):
    def legacy(cfg):
        for k in keys:
            cfg.pop(k, None)
        return cfg
    return legacy


def older_layout(cfg, legacy):
    """The published layout of before transformers 5: rope_theta (and
    partial_rotary_factor) at the top level, scaling under rope_scaling."""
    cfg = dict(cfg)
    for key in ("text_config",):
        if isinstance(cfg.get(key), dict):
            cfg[key] = older_layout(cfg[key], legacy)
            return cfg
    rp = cfg.pop("rope_parameters", None)
    if isinstance(rp, dict):
        rp = dict(rp)
        cfg["rope_theta"] = rp.pop("rope_theta")
        if "partial_rotary_factor" in rp:
            cfg["partial_rotary_factor"] = rp.pop("partial_rotary_factor")
        if rp.get("rope_type", "default") != "default":
            cfg["rope_scaling"] = rp
    cfg.pop("transformers_version", None)
    return legacy(cfg)


def randomize(model, gen):
    """Every parameter and float buffer random and bf16-exact: norm weights
    near 1, matrices at 1/sqrt(fan-in), biases and router corrections small."""
    hidden = model.config.get_text_config().hidden_size
    named = list(model.named_parameters()) + [(n, b) for n, b in model.named_buffers()
                                              if "correction_bias" in n]
    for name, p in named:
        shape = p.shape
        if "norm" in name and p.dim() == 1:
            v = 1 + torch.randn(shape, generator=gen) * 0.2
        elif "embed" in name:
            v = torch.randn(shape, generator=gen) * 0.5
        elif "correction_bias" in name:
            v = torch.randn(shape, generator=gen) * 0.05
        elif p.dim() == 1:
            v = torch.randn(shape, generator=gen) * 0.1
        elif p.dim() == 3:
            v = torch.randn(shape, generator=gen) * (1.0 / hidden ** 0.5)
        else:
            v = torch.randn(shape, generator=gen) * (1.0 / shape[-1] ** 0.5)
        with torch.no_grad():
            p.copy_(v.to(torch.bfloat16).to(p.dtype))


def reference_filters(queries, layers, heads, kv_heads, d):
    """The reference calibration (REFERENCE.md) in float64 over every token."""
    filt = np.zeros((layers, kv_heads, d))
    per = np.zeros((layers, heads, d))
    sv = np.zeros((layers, heads, d))
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
    return [torch.from_numpy(a.astype(np.float32)) for a in (filt, per, sv)]


def make(name, module_name, build, legacy, out):
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    model = build()
    model.eval()
    randomize(model, gen)
    text = model.config.get_text_config()
    captured = {}
    mod = importlib.import_module(f"transformers.models.{module_name}.modeling_{module_name}")
    orig = mod.eager_attention_forward

    def capture(module, query, key, value, *args, **kwargs):
        captured[module.layer_idx] = (query.detach().clone(), key.detach().clone())
        return orig(module, query, key, value, *args, **kwargs)

    mod.eager_attention_forward = capture
    model.config._attn_implementation = "eager"
    text._attn_implementation = "eager"
    ids = torch.randint(0, text.vocab_size, (N_SEQ, SEQ), generator=gen)
    try:
        with torch.no_grad():
            logits = model(input_ids=ids, use_cache=False).logits.float()
    finally:
        mod.eager_attention_forward = orig
    layers, heads, kv = text.num_hidden_layers, text.num_attention_heads, text.num_key_value_heads
    d = getattr(text, "head_dim", None) or text.hidden_size // heads
    assert sorted(captured) == list(range(layers)), sorted(captured)
    tensors = {"input_ids": ids.to(torch.int64), "logits": logits.contiguous()}
    qs = {}
    for l in range(layers):
        q, k = captured[l]
        tensors[f"queries.{l}"] = q.float().contiguous()
        tensors[f"keys.{l}"] = k.float().contiguous()
        qs[l] = q.float().numpy()
    tensors["filters"], tensors["filters_per_qhead"], tensors["singular_values"] = \
        reference_filters(qs, layers, heads, kv, d)

    dst = os.path.join(out, "archs", name)
    os.makedirs(dst, exist_ok=True)
    model.to(torch.bfloat16).save_pretrained(dst)
    for extra in ("generation_config.json",):
        if os.path.exists(os.path.join(dst, extra)):
            os.remove(os.path.join(dst, extra))
    v5 = os.path.join(dst, "config.transformers5.json")
    os.replace(os.path.join(dst, "config.json"), v5)
    with open(v5) as f:
        cfg = json.load(f)
    with open(os.path.join(dst, "config.json"), "w") as f:
        json.dump(older_layout(cfg, legacy), f, indent=2, sort_keys=True)
        f.write("\n")
    meta = {"torch": torch.__version__, "transformers": transformers.__version__,
            "note": "float32 eager forward of the checkpoint in this folder; queries/keys as the attention "
                    "function receives them [n_seq, heads, seq, head_dim]"}
    save_file(tensors, os.path.join(dst, "golden.safetensors"), metadata=meta)
    print(f"{name}: {layers} layers, logits {tuple(logits.shape)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="root folder; files land under ROOT/archs/<name>/")
    ap.add_argument("--only", nargs="*", help="variant names (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for name, module_name, build, legacy in variants():
        if args.only and name not in args.only:
            continue
        make(name, module_name, build, legacy, args.out)


if __name__ == "__main__":
    main()
