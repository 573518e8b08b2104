"""Goldens for gpt-oss (model_type gpt_oss): a tiny GptOssForCausalLM with
sliding (window 8) and full layers, learned attention sinks, a MoE of 4
experts (top 2) and YaRN, its experts stored both as MXFP4 (*_blocks /
*_scales, as the published checkpoints) and dequantized in bf16.

Usage: python python/goldens/gpt_oss.py --out ROOT
Writes ROOT/archs/gpt_oss/ (MXFP4 experts) and ROOT/archs/gpt_oss_bf16/
(the same weights, experts in bf16), each with config.json (older layout:
rope_scaling), config.transformers5.json, model.safetensors and
golden.safetensors (the same golden: the weights are equal), and
ROOT/archs/gpt_oss/mxfp4_reference.safetensors: transformers' own
dequantization (convert_moe_packed_tensors) of layer 0's experts and of a
synthetic block/scale pair covering every byte and every scale 0..254.
Deterministic: fixed seeds, CPU, float32 eager forward (eager experts).
capture_attention and reference_filters come from _tiny.py (shared with rope_scaling.py).
"""
import argparse
import copy
import json
import os
import shutil
import tempfile

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoConfig, AutoModelForCausalLM
from transformers.integrations.mxfp4 import convert_moe_packed_tensors

from _tiny import capture_attention, reference_filters

CONFIG = {
    "architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss", "attention_bias": True,
    "hidden_size": 64, "intermediate_size": 64, "head_dim": 16, "num_attention_heads": 4,
    "num_key_value_heads": 2, "num_hidden_layers": 3, "num_local_experts": 4, "num_experts_per_tok": 2,
    "experts_per_token": 2, "vocab_size": 384, "max_position_embeddings": 131072, "rms_norm_eps": 1e-05,
    "sliding_window": 8, "layer_types": ["sliding_attention", "full_attention", "sliding_attention"],
    "rope_theta": 150000.0, "rope_scaling": {"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0,
                                             "beta_slow": 1.0, "truncate": False,
                                             "original_max_position_embeddings": 4096},
    "initializer_range": 0.2, "tie_word_embeddings": False, "hidden_act": "silu", "swiglu_limit": 7.0,
    "torch_dtype": "bfloat16",
}
QUANT = {"quant_method": "mxfp4",
         "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router",
                                    "model.embed_tokens", "lm_head"]}
SEQ, N_SEQ = 24, 2


def random_mxfp4(g, experts, rows, cols):
    """Random MXFP4 codes for [experts, rows, cols] and moderate scales."""
    blocks = torch.randint(0, 256, (experts, rows, cols // 32, 16), generator=g, dtype=torch.int32).to(torch.uint8)
    scales = torch.randint(119, 125, (experts, rows, cols // 32), generator=g, dtype=torch.int32).to(torch.uint8)
    return blocks, scales


def main():
    transformers.utils.logging.disable_progress_bar()
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    out_q = os.path.join(a.out, "archs", "gpt_oss")
    out_b = os.path.join(a.out, "archs", "gpt_oss_bf16")
    os.makedirs(out_q, exist_ok=True)
    os.makedirs(out_b, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(CONFIG, f, indent=2)
        config = AutoConfig.from_pretrained(tmp)
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
        model.config._experts_implementation = "eager"
        model.eval()
        g = torch.Generator().manual_seed(3)
        packed = {}
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).to(torch.float32))
            E, h, inter = CONFIG["num_local_experts"], CONFIG["hidden_size"], CONFIG["intermediate_size"]
            for l, layer in enumerate(model.model.layers):
                # Sinks large enough to matter next to the attention scores.
                layer.self_attn.sinks.copy_((torch.randn(4, generator=g) * 2).to(torch.bfloat16).float())
                ex = layer.mlp.experts
                for proj, rows, cols in (("gate_up_proj", 2 * inter, h), ("down_proj", h, inter)):
                    blocks, scales = random_mxfp4(g, E, rows, cols)
                    deq = convert_moe_packed_tensors(blocks, scales)  # bf16 [E, cols, rows]
                    getattr(ex, proj).copy_(deq.float())
                    packed[f"model.layers.{l}.mlp.experts.{proj}"] = (blocks, scales, deq)
        saved = os.path.join(tmp, "saved")
        copy.deepcopy(model).to(torch.bfloat16).save_pretrained(saved)
        v5 = json.load(open(os.path.join(saved, "config.json")))
        for d in (out_q, out_b):
            shutil.copy(os.path.join(saved, "config.json"), os.path.join(d, "config.transformers5.json"))
        shutil.copy(os.path.join(tmp, "config.json"), os.path.join(out_b, "config.json"))
        shutil.copy(os.path.join(saved, "model.safetensors"), os.path.join(out_b, "model.safetensors"))
        # The MXFP4 twin: experts as blocks and scales, the rest as saved.
        from safetensors.torch import load_file
        sd = load_file(os.path.join(saved, "model.safetensors"))
        for name, (blocks, scales, _) in packed.items():
            del sd[name]
            sd[name + "_blocks"] = blocks.contiguous()
            sd[name + "_scales"] = scales.contiguous()
        save_file(sd, os.path.join(out_q, "model.safetensors"), metadata={"format": "pt"})
        cq = dict(CONFIG, quantization_config=QUANT)
        json.dump(cq, open(os.path.join(out_q, "config.json"), "w"), indent=2)
        v5q = dict(v5, quantization_config=QUANT)
        json.dump(v5q, open(os.path.join(out_q, "config.transformers5.json"), "w"), indent=2)

    ids = torch.randint(3, CONFIG["vocab_size"], (N_SEQ, SEQ), generator=torch.Generator().manual_seed(1))
    got, restore = capture_attention(model)
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    restore()
    layers = CONFIG["num_hidden_layers"]
    tensors = {"input_ids": ids.to(torch.int64), "logits": logits.float().contiguous()}
    for l in range(layers):
        tensors[f"queries.{l}"] = got[("queries", l)].float().contiguous()
        tensors[f"keys.{l}"] = got[("keys", l)].float().contiguous()
    kv, per_q, sv = reference_filters([got[("queries", l)] for l in range(layers)], CONFIG["num_key_value_heads"])
    tensors.update({"filters": kv, "filters_per_qhead": per_q, "singular_values": sv})
    meta = {"torch": torch.__version__, "transformers": transformers.__version__,
            "note": "float32 eager forward (eager experts) of the checkpoint in this folder; queries/keys "
                    "post-RoPE [n_seq, heads, seq, head_dim]; recipe python/goldens/gpt_oss.py"}
    for d in (out_q, out_b):
        save_file(tensors, os.path.join(d, "golden.safetensors"), metadata=meta)

    # transformers' dequantization, for the bit-for-bit check.
    ref = {}
    for proj in ("gate_up_proj", "down_proj"):
        name = f"model.layers.0.mlp.experts.{proj}"
        ref[name] = packed[name][2].contiguous()
    rows = torch.arange(255, dtype=torch.int32)
    blocks = ((rows[:, None] * 16 + torch.arange(16, dtype=torch.int32)[None, :]) % 256).to(torch.uint8)
    blocks = blocks.reshape(1, 255, 1, 16)
    scales = rows.to(torch.uint8).reshape(1, 255, 1)
    ref["synthetic_blocks"] = blocks.contiguous()
    ref["synthetic_scales"] = scales.contiguous()
    ref["synthetic"] = convert_moe_packed_tensors(blocks, scales).contiguous()
    save_file(ref, os.path.join(out_q, "mxfp4_reference.safetensors"),
              metadata={"torch": torch.__version__, "transformers": transformers.__version__,
                        "note": "transformers.integrations.mxfp4.convert_moe_packed_tensors output (bf16)"})

    # Cross-check: transformers itself loads the MXFP4 folder (dequantizing
    # on the CPU) to the same logits.
    try:
        m2 = AutoModelForCausalLM.from_pretrained(out_q, attn_implementation="eager", dtype=torch.float32)
        m2.config._experts_implementation = "eager"
        m2.float().eval()  # the dequantized experts come as bf16
        with torch.no_grad():
            l2 = m2(input_ids=ids).logits
        print("transformers loading the MXFP4 folder: max |logits diff|", (l2.float() - logits).abs().max().item())
    except Exception as e:  # informative only
        print("transformers could not load the MXFP4 folder here:", type(e).__name__, str(e)[:200])
    print("written:", out_q, out_b)


if __name__ == "__main__":
    main()
