#!/usr/bin/env python3
"""Writes ../pack_arm64.s (run: python3 kernels/asmgen/pack_arm64.py; needs
llvm-mc). The NEON instructions Go's assembler lacks are encoded by llvm-mc
and emitted as WORDs, each followed by its instruction."""
import os, re, subprocess

out, neon = [], []
def go(s): out.append("\t" + s)
def raw(s): out.append(s)
def n(s):
    neon.append((len(out), s)); out.append(None)

raw('''#include "textflag.h"

// 4x4 transposes of 32-bit words for packing B panels on the NEON path, the
// contract of the amd64 ones (pack_amd64.s) with 4-word blocks: for each of
// nblk blocks, word c of row r (4 words at src + r·lds) goes to
// dst + c·ldd + 4r; blocks follow each other 16 bytes on in src (8 for
// bfloat16, widened to float32 by SHLL #16), 4 rows on in dst. TRN1/TRN2 on
// words, then on doublewords, leave column c in V(4+c). Written by
// asmgen/pack_arm64.py (the NEON instructions as WORDs, encoded by llvm-mc).''')

def fn(name, bf):
    raw("")
    raw(f"// func {name}(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)")
    raw(f"TEXT ·{name}(SB), NOSPLIT, $0-40")
    go("MOVD dst+0(FP), R0")
    go("MOVD ldd+8(FP), R1")
    go("MOVD src+16(FP), R2")
    go("MOVD lds+24(FP), R3")
    go("MOVD nblk+32(FP), R4")
    go("CBZ R4, done")
    raw("loop:")
    go("MOVD R2, R5")
    for r in range(4):
        if bf:
            go(f"VLD1 (R5), [V{r}.H4]")
            n(f"shll v{r}.4s, v{r}.4h, #16")
        else:
            go(f"VLD1 (R5), [V{r}.S4]")
        if r < 3:
            go("ADD R3, R5, R5")
    n("trn1 v8.4s, v0.4s, v1.4s")
    n("trn2 v9.4s, v0.4s, v1.4s")
    n("trn1 v10.4s, v2.4s, v3.4s")
    n("trn2 v11.4s, v2.4s, v3.4s")
    n("trn1 v4.2d, v8.2d, v10.2d")
    n("trn1 v5.2d, v9.2d, v11.2d")
    n("trn2 v6.2d, v8.2d, v10.2d")
    n("trn2 v7.2d, v9.2d, v11.2d")
    for c in range(4):
        go(f"VST1 [V{4+c}.S4], (R0)")
        go("ADD R1, R0, R0")
    go(f"ADD ${8 if bf else 16}, R2, R2")
    go("SUBS $1, R4, R4")
    go("BNE loop")
    raw("done:")
    go("RET")

fn("transpose32x4NEON", False)
fn("transposeBF16x4NEON", True)

texts = [t for _, t in neon]
res = subprocess.run(["llvm-mc", "-triple=aarch64", "-mattr=+neon", "-show-encoding"],
                     input="\n".join(texts) + "\n", capture_output=True, text=True)
if res.returncode != 0:
    raise SystemExit(res.stderr)
encs = re.findall(r"encoding: \[0x(..),0x(..),0x(..),0x(..)\]", res.stdout)
assert len(encs) == len(texts), (len(encs), len(texts), res.stderr)
for (idx, t), e in zip(neon, encs):
    out[idx] = f"\tWORD $0x{''.join(reversed(e))} // {t}"
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pack_arm64.s")
open(path, "w").write("\n".join(out) + "\n")
