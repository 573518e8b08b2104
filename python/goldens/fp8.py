"""FP8 dequantization and float widening/rounding as torch and transformers
do them.

Usage: python python/goldens/fp8.py --out ROOT
Writes ROOT/fp8/:
  fp8_scales.safetensors  16x64 FP8 weights (E4M3, E5M2, E4M3FNUZ, E5M2FNUZ)
                          with 8x32-block weight_scale_inv in BF16, F16 and
                          F32, and transformers' Fp8Dequantize of each
                          (<case>.expected, in the scale's dtype)
                          (model.TestFP8MatchesTransformers)
  round.safetensors       float32 values over 2^-30..2^18, ties, overflow,
                          +-0, +-inf, and torch's .half() / .bfloat16() of them
                          (model.TestRoundToScaleDtype)
  widen.safetensors       every F16 infinity/NaN and subnormal, some BF16
                          NaNs, all 256 codes of F8_E4M3 and F8_E5M2, and
                          torch's .float() of each (safetensors.TestFloat32BitsAsTorch)
  fnuz.safetensors        all 256 codes of F8_E4M3FNUZ and F8_E5M2FNUZ and
                          torch's .float() of each (safetensors.TestFNUZAsTorch)
Inputs are drawn by numpy's PCG64 (the same bits on every machine); every
output is an elementwise conversion or product, exact on any CPU.
"""
import argparse
import os
from types import SimpleNamespace

import numpy as np
import torch
from safetensors.torch import save_file
from transformers.integrations.finegrained_fp8 import Fp8Dequantize


def fp8_scales():
    rng = np.random.Generator(np.random.PCG64(0))
    q = SimpleNamespace(quantization_config=SimpleNamespace(weight_block_size=[8, 32]))
    out = {}
    for name, fmt, sdt in [("bf16", torch.float8_e4m3fn, torch.bfloat16), ("f16", torch.float8_e4m3fn, torch.float16),
                           ("f32", torch.float8_e4m3fn, torch.float32), ("e5bf16", torch.float8_e5m2, torch.bfloat16),
                           ("fnuzbf16", torch.float8_e4m3fnuz, torch.bfloat16),
                           ("e5fnuzf32", torch.float8_e5m2fnuz, torch.float32)]:
        w = torch.from_numpy((rng.standard_normal((16, 64)) * 30).astype(np.float32)).to(fmt)
        s = torch.from_numpy((rng.random((2, 2)) * 0.01 + 1e-4).astype(np.float32)).to(sdt)
        deq = Fp8Dequantize(q).convert({"weight$": [w], "weight_scale_inv": [s]}, full_layer_name="x")["x"]
        out[f"{name}.weight"] = w
        out[f"{name}.weight_scale_inv"] = s
        out[f"{name}.expected"] = deq
    return out


def rounding():
    rng = np.random.Generator(np.random.PCG64(1))
    e = rng.integers(-30, 18, 3000).astype(np.float32)
    m = (rng.random(3000) + 1).astype(np.float32)
    sign = np.where(rng.random(3000) < 0.5, -1.0, 1.0).astype(np.float32)
    x = torch.from_numpy(m * np.exp2(e) * sign)
    ties = torch.tensor([65504., 65519.99, 65520., 2.0**-24 * 0.5, 2.0**-24 * 1.5, 2.0**-25, 2.0**-14 * (1 - 2**-11),
                         1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-8, 1 + 3 * 2**-8, 3.3895e38, 3.4e38, 0.0, -0.0,
                         float("inf"), -float("inf")])
    x = torch.cat([x, ties, -ties])
    return {"x": x, "f16": x.half(), "bf16": x.bfloat16()}


def widen():
    h = torch.arange(0x7c00, 0x8000, dtype=torch.int32)
    h = torch.cat([h, h | 0x8000, torch.arange(0, 0x400, dtype=torch.int32)]).to(torch.int16).view(torch.float16)
    b = torch.tensor([0x7f81, 0x7fc0, 0x7fff, 0xff81, 0xffc1, 0x7f80, 0x0001, 0x8001],
                     dtype=torch.int32).to(torch.int16).view(torch.bfloat16)
    c = torch.arange(256, dtype=torch.int32).to(torch.uint8)
    e4, e5 = c.clone().view(torch.float8_e4m3fn), c.clone().view(torch.float8_e5m2)
    return {"f16": h, "f16.f32": h.float(), "bf16": b, "bf16.f32": b.float(),
            "e4m3": e4, "e4m3.f32": e4.float(), "e5m2": e5, "e5m2.f32": e5.float()}


def fnuz():
    c = torch.arange(256, dtype=torch.int32).to(torch.uint8)
    e4, e5 = c.clone().view(torch.float8_e4m3fnuz), c.clone().view(torch.float8_e5m2fnuz)
    return {"e4m3fnuz": e4, "e4m3fnuz.f32": e4.float(), "e5m2fnuz": e5, "e5m2fnuz.f32": e5.float()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    d = os.path.join(ap.parse_args().out, "fp8")
    os.makedirs(d, exist_ok=True)
    for name, make in [("fp8_scales", fp8_scales), ("round", rounding), ("widen", widen), ("fnuz", fnuz)]:
        tensors = make()
        save_file(tensors, os.path.join(d, name + ".safetensors"))
    print(f"fp8: 4 files, torch {torch.__version__.split('+')[0]}")


if __name__ == "__main__":
    main()
