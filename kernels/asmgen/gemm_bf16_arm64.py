#!/usr/bin/env python3
"""Writes ../gemm_bf16_arm64.s (run: python3 kernels/asmgen/gemm_bf16_arm64.py;
needs llvm-mc). Go's assembler has no BFDOT, so llvm-mc encodes each one and
it is emitted as a WORD followed by the instruction."""
import os, re, subprocess

out, neon = [], []
def go(s): out.append("\t" + s)
def raw(s): out.append(s)
def n(s):
    neon.append((len(out), s)); out.append(None)

raw('''#include "textflag.h"

// NEON bf16 micro-kernel (FEAT_BF16): an 8x12 tile of C in V0..V23 (row i in
// V(3i), V(3i+1), V(3i+2)), as in sgemmNEON, on panels in the pair layout:
// each 32-bit word holds bf16(k=2q) | bf16(k=2q+1)<<16 (layoutPair in
// pack.go). Each step (one k pair) loads the 8 row pairs of the A panel into
// V24/V25 and the 12 column pairs of the B panel into V26..V28, then does 24
// BFDOT by element: Vd.4S += Vn.8H (4 column pairs) · Vm.2H[i] (row i's
// pair), each lane adding the pair's two products to its accumulator.
// BFDOT ignores the FPCR: with FPCR.EBF = 0 (Go never sets it) it rounds to
// odd and flushes denormals, so its sums are close to, not the same as,
// VDPBF16PS.s (see dispatch_arm64.go). Arguments (ABI0): kd (pair steps), a, b,
// c, ldc, load; see microKernel in dispatch.go. Written by
// asmgen/gemm_bf16_arm64.py (the BFDOTs as WORDs, encoded by llvm-mc).''')

def step():
    go("VLD1.P 32(R1), [V24.S4, V25.S4]")
    go("VLD1.P 48(R2), [V26.S4, V27.S4, V28.S4]")
    for i in range(8):
        for c in range(3):
            n(f"bfdot v{3*i+c}.4s, v{26+c}.8h, v{24+i//4}.2h[{i%4}]")

def rows(op):
    go("MOVD R3, R6")
    for i in range(8):
        regs = ", ".join(f"V{3*i+c}.S4" for c in range(3))
        go(f"{op} {'(R6), [' + regs + ']' if op == 'VLD1' else '[' + regs + '], (R6)'}")
        if i < 7:
            go("ADD R4, R6, R6")

raw("")
raw("// func sbf16NEON(kd int, a, b, c *float32, ldc int, load bool)")
raw("TEXT ·sbf16NEON(SB), NOSPLIT, $0-41")
go("MOVD kd+0(FP), R0")
go("MOVD a+8(FP), R1")
go("MOVD b+16(FP), R2")
go("MOVD c+24(FP), R3")
go("MOVD ldc+32(FP), R4")
go("LSL $2, R4, R4")
go("MOVBU load+40(FP), R5")
go("CBZ R5, zero")
rows("VLD1")
go("B loop0")
raw("zero:")
for r in range(24):
    go(f"VEOR V{r}.B16, V{r}.B16, V{r}.B16")
raw("loop0:")
go("CBZ R0, store")
go("// Two steps an iteration, then the odd one.")
go("LSR $1, R0, R7")
go("CBZ R7, last")
raw("loop:")
step()
step()
go("SUBS $1, R7, R7")
go("BNE loop")
raw("last:")
go("TBZ $0, R0, store")
step()
raw("store:")
rows("VST1")
go("RET")

texts = [t for _, t in neon]
res = subprocess.run(["llvm-mc", "-triple=aarch64", "-mattr=+neon,+bf16", "-show-encoding"],
                     input="\n".join(texts) + "\n", capture_output=True, text=True)
if res.returncode != 0:
    raise SystemExit(res.stderr)
encs = re.findall(r"encoding: \[0x(..),0x(..),0x(..),0x(..)\]", res.stdout)
assert len(encs) == len(texts), (len(encs), len(texts), res.stderr)
for (idx, t), e in zip(neon, encs):
    out[idx] = f"\tWORD $0x{''.join(reversed(e))} // {t}"
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gemm_bf16_arm64.s")
open(path, "w").write("\n".join(out) + "\n")
