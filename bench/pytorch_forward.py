#!/usr/bin/env python3
"""PyTorch CPU baseline for `qfilters bench`: the same calibration forward pass
(every layer but the last in full, the last up to its query projection, no LM
head) of a Llama-shaped safetensors checkpoint, in float32 or bf16, timed.

Usage: pytorch_forward.py MODEL_DIR [--seqs 4] [--seq-len 2048] [--threads 2] [--dtype f32|bf16] [--attn sdpa|explicit]

Weights are read and converted before the clock starts; the script prints the
forward pass's wall time and tokens/s as JSON. Attention: `sdpa`
(torch.nn.functional.scaled_dot_product_attention, causal: what transformers
runs by default on PyTorch 2.x; the default where it exists) or `explicit`
(scores, mask, softmax, as PyTorch 1.13 had to). PyTorch 2.x: the one `make
pyenv` installs from the registry (python/.venv); Debian's 1.13:
apt-get install python3-torch.
"""
import argparse, json, math, os, struct, time

import numpy as np
import torch


def load(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    out = {}
    for name in files:
        with open(os.path.join(model_dir, name), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        for key, t in header.items():
            if key == "__metadata__":
                continue
            b, e = t["data_offsets"]
            raw = np.frombuffer(data[b:e], dtype=np.uint16 if t["dtype"] in ("BF16", "F16") else np.float32)
            if t["dtype"] == "BF16":
                arr = (raw.astype(np.uint32) << 16).view(np.float32)
            elif t["dtype"] == "F16":
                arr = raw.view(np.float16).astype(np.float32)
            else:
                arr = raw
            out[key] = torch.from_numpy(arr.copy()).reshape(t["shape"])
    return out


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, cos, sin):
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--seqs", type=int, default=4)
    ap.add_argument("--seq-len", type=int, default=2048)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", default="f32", choices=["f32", "bf16"])
    sdpa = hasattr(torch.nn.functional, "scaled_dot_product_attention")
    ap.add_argument("--attn", default="sdpa" if sdpa else "explicit", choices=["sdpa", "explicit"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    dtype = torch.float32 if a.dtype == "f32" else torch.bfloat16
    W = {k: v.to(dtype) for k, v in load(a.model).items()}
    H, L = cfg["hidden_size"], cfg["num_hidden_layers"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim", H // nh)
    eps = cfg["rms_norm_eps"]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2).float() / hd))
    pos = torch.arange(a.seq_len).float()
    emb = torch.cat([torch.outer(pos, inv)] * 2, dim=-1)
    cos, sin = emb.cos().to(dtype), emb.sin().to(dtype)
    mask = torch.full((a.seq_len, a.seq_len), float("-inf")).triu(1).to(dtype)
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg["vocab_size"], (a.seqs, a.seq_len), generator=gen)

    start, cpu0 = time.perf_counter(), time.process_time()
    with torch.no_grad():
        h = W["model.embed_tokens.weight"][ids]  # [B, T, H]
        for l in range(L):
            p = f"model.layers.{l}."
            x = rms(h, W[p + "input_layernorm.weight"], eps)
            q = (x @ W[p + "self_attn.q_proj.weight"].T).view(a.seqs, a.seq_len, nh, hd).transpose(1, 2)
            q = rope(q, cos, sin)
            if l == L - 1:
                break  # calibration needs only the last layer's queries
            k = (x @ W[p + "self_attn.k_proj.weight"].T).view(a.seqs, a.seq_len, nkv, hd).transpose(1, 2)
            v = (x @ W[p + "self_attn.v_proj.weight"].T).view(a.seqs, a.seq_len, nkv, hd).transpose(1, 2)
            k = rope(k, cos, sin).repeat_interleave(nh // nkv, dim=1)
            v = v.repeat_interleave(nh // nkv, dim=1)
            if a.attn == "sdpa":
                att = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            else:
                att = torch.empty_like(q)
                for s in range(a.seqs):  # one sequence at a time bounds the score matrices
                    scores = (q[s] @ k[s].transpose(-1, -2)) / math.sqrt(hd) + mask
                    att[s] = torch.softmax(scores.float(), dim=-1).to(dtype) @ v[s]
            o = att.transpose(1, 2).reshape(a.seqs, a.seq_len, nh * hd) @ W[p + "self_attn.o_proj.weight"].T
            h = h + o
            x = rms(h, W[p + "post_attention_layernorm.weight"], eps)
            g = x @ W[p + "mlp.gate_proj.weight"].T
            u = x @ W[p + "mlp.up_proj.weight"].T
            h = h + (torch.nn.functional.silu(g) * u) @ W[p + "mlp.down_proj.weight"].T
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu0
    # cpu_seconds: on a machine shared with other jobs, CPU time is steadier
    # than wall time (OpenMP threads spin while they wait, which counts too).
    print(json.dumps({"torch": torch.__version__, "dtype": a.dtype, "attn": a.attn, "threads": a.threads, "seqs": a.seqs,
                      "seq_len": a.seq_len, "seconds": secs, "cpu_seconds": cpu,
                      "tokens_per_second": a.seqs * a.seq_len / secs}))


if __name__ == "__main__":
    main()
