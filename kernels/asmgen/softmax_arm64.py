# Generates kernels/softmax_arm64.s: NEON instructions Go's assembler lacks are
# encoded with llvm-mc and emitted as WORD with the instruction as comment.
#!/usr/bin/env python3
"""Writes ../softmax_arm64.s (run: python3 kernels/asmgen/softmax_arm64.py; needs
llvm-mc). The NEON instructions Go's assembler lacks are encoded by llvm-mc
and emitted as WORDs, each followed by its instruction."""
import os, subprocess, re
out = []
neon = []  # (index in out, gnu text)
def go(s): out.append("\t" + s)
def label(s): out.append(s + ":")
def raw(s): out.append(s)
def n(s):
    neon.append((len(out), s)); out.append(None)

def vdup_const(v, bits, comment):
    go(f"MOVW ${bits:#x}, R13")
    n(f"dup v{v}.4s, w13")
    out[-1] = out[-1]  # placeholder
    comments[len(out)-1] = comment
comments = {}

def exp(x, t1, t2, t3):
    # x <- e^x for x <= 0 as expNeg: n = trunc(x*log2e - 0.5), r = x - n*ln2hi - n*ln2lo,
    # degree-7 Taylor, times 2^n through the exponent bits; 0 unless x > -87.33 (NaN too).
    n(f"fmul v{t1}.4s, v{x}.4s, v16.4s")
    n(f"fsub v{t1}.4s, v{t1}.4s, v17.4s")
    n(f"fcvtzs v{t1}.4s, v{t1}.4s")            # n
    n(f"scvtf v{t2}.4s, v{t1}.4s")             # fn
    n(f"fcmgt v{t3}.4s, v{x}.4s, v27.4s")      # keep mask
    n(f"fmls v{x}.4s, v{t2}.4s, v18.4s")
    n(f"fmls v{x}.4s, v{t2}.4s, v19.4s")       # r
    n(f"mov v{t2}.16b, v21.16b")
    n(f"fmla v{t2}.4s, v20.4s, v{x}.4s")       # 1/720 + r/5040
    for c in (22, 23, 24, 17, 25, 25):         # 1/120, 1/24, 1/6, 1/2, 1, 1
        n(f"mov v31.16b, v{c}.16b")
        n(f"fmla v31.4s, v{t2}.4s, v{x}.4s")
        n(f"mov v{t2}.16b, v31.16b")
    n(f"add v{t1}.4s, v{t1}.4s, v26.4s")
    n(f"shl v{t1}.4s, v{t1}.4s, #23")
    n(f"fmul v{x}.4s, v{t2}.4s, v{t1}.4s")
    n(f"and v{x}.16b, v{x}.16b, v{t3}.16b")

raw('''#include "textflag.h"

// softmaxStripNEON is softmaxStripGo for a strip of 12 lanes (the NEON
// tile's nr) in three 4-lane vectors: lane-wise online softmax down the rows
// of a score panel, with expNeg's exponential. The NEON instructions Go's
// assembler does not know are WORDs, each followed by its instruction
// (encoded with llvm-mc by asmgen/softmax_arm64.py, which writes this file).
//
// func softmaxStripNEON(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)
TEXT ·softmaxStripNEON(SB), NOSPLIT, $0-89''')
go("MOVD s+0(FP), R0")
go("MOVD nk+8(FP), R1")
go("MOVD ld+16(FP), R2")
go("MOVD m+24(FP), R3")
go("MOVD l+32(FP), R4")
go("MOVD o+40(FP), R5")
go("MOVD dpad+48(FP), R6")
go("FMOVS scale+56(FP), F12")
go("MOVD qi0+64(FP), R7")
go("MOVD kj0+72(FP), R8")
go("MOVD window+80(FP), R9")
go("MOVBU masked+88(FP), R10")
raw("\t// Pass 1: scale (and mask) the scores, running max in V3..V5.")
n("dup v12.4s, v12.s[0]")
go("VLD1 (R3), [V3.S4, V4.S4, V5.S4]")
go("MOVD R0, R11")
go("MOVD R1, R12")
go("CBZ R10, plain")
raw("\t// V6..V8: query − key per lane (as unsigned: visible iff below the window V9).")
go("SUB R8, R7, R13")
n("dup v6.4s, w13")
go("MOVD $·neonIota(SB), R14")
go("VLD1 (R14), [V13.S4, V14.S4, V15.S4]")
n("add v7.4s, v6.4s, v14.4s")
n("add v8.4s, v6.4s, v15.4s")
n("add v6.4s, v6.4s, v13.4s")
n("dup v9.4s, w9")
n("movi v10.4s, #1")
go("MOVW $0xff800000, R13")
n("dup v11.4s, w13")
label("maskloop")
go("VLD1 (R11), [V0.S4, V1.S4, V2.S4]")
for i in range(3):
    n(f"fmul v{i}.4s, v{i}.4s, v12.4s")
    n(f"cmhs v{13+i}.4s, v{6+i}.4s, v9.4s")
    n(f"bit v{i}.16b, v11.16b, v{13+i}.16b")
    n(f"sub v{6+i}.4s, v{6+i}.4s, v10.4s")
go("VST1 [V0.S4, V1.S4, V2.S4], (R11)")
for i in range(3):
    n(f"fmax v{3+i}.4s, v{3+i}.4s, v{i}.4s")
go("ADD R2, R11, R11")
go("SUBS $1, R12, R12")
go("BNE maskloop")
go("B maxdone")
label("plain")
go("VLD1 (R11), [V0.S4, V1.S4, V2.S4]")
for i in range(3):
    n(f"fmul v{i}.4s, v{i}.4s, v12.4s")
go("VST1 [V0.S4, V1.S4, V2.S4], (R11)")
for i in range(3):
    n(f"fmax v{3+i}.4s, v{3+i}.4s, v{i}.4s")
go("ADD R2, R11, R11")
go("SUBS $1, R12, R12")
go("BNE plain")
label("maxdone")
raw("\t// Constants of the exponential.")
for v, bits, c in [(16, 0x3fb8aa3b, "log2(e)"), (17, 0x3f000000, "0.5"), (18, 0x3f317200, "ln2 high part"),
                   (19, 0x35bfbe8e, "ln2 low part"), (20, 0x39500d01, "1/5040"), (21, 0x3ab60b61, "1/720"),
                   (22, 0x3c088889, "1/120"), (23, 0x3d2aaaab, "1/24"), (24, 0x3e2aaaab, "1/6"),
                   (25, 0x3f800000, "1.0"), (26, 127, "exponent bias"), (27, 0xc2aea8f6, "-87.33")]:
    go(f"MOVW ${bits:#x}, R13 // {c}")
    n(f"dup v{v}.4s, w13")
raw("\t// Pass 2: probabilities e^(score − max), their sums in V6..V8.")
for i in range(6, 9):
    n(f"movi v{i}.4s, #0")
go("MOVD R0, R11")
go("MOVD R1, R12")
label("exploop")
go("VLD1 (R11), [V0.S4, V1.S4, V2.S4]")
for i in range(3):
    n(f"fsub v{i}.4s, v{i}.4s, v{3+i}.4s")
exp(0, 28, 29, 30)
exp(1, 28, 29, 30)
exp(2, 28, 29, 30)
go("VST1 [V0.S4, V1.S4, V2.S4], (R11)")
for i in range(3):
    n(f"fadd v{6+i}.4s, v{6+i}.4s, v{i}.4s")
go("ADD R2, R11, R11")
go("SUBS $1, R12, R12")
go("BNE exploop")
raw("\t// corr = e^(old max − new max) in V0..V2; store the new max.")
go("VLD1 (R3), [V0.S4, V1.S4, V2.S4]")
go("VST1 [V3.S4, V4.S4, V5.S4], (R3)")
for i in range(3):
    n(f"fsub v{i}.4s, v{i}.4s, v{3+i}.4s")
exp(0, 28, 29, 30)
exp(1, 28, 29, 30)
exp(2, 28, 29, 30)
raw("\t// l = l·corr + sum, in float64 (fused, as Go computes it on arm64).")
for i in range(3):
    n(f"fcvtl v28.2d, v{i}.2s")
    n(f"fcvtl2 v29.2d, v{i}.4s")
    n(f"fcvtl v30.2d, v{6+i}.2s")
    n(f"fcvtl2 v31.2d, v{6+i}.4s")
    go("VLD1 (R4), [V12.D2, V13.D2]")
    n("fmla v30.2d, v12.2d, v28.2d")
    n("fmla v31.2d, v13.2d, v29.2d")
    go("VST1.P [V30.D2, V31.D2], 32(R4)")
raw("\t// Rescale the partial output unless corr is 1 in every lane.")
for i in range(3):
    n(f"fcmeq v{28+i}.4s, v{i}.4s, v25.4s")
n("and v28.16b, v28.16b, v29.16b")
n("and v28.16b, v28.16b, v30.16b")
n("uminv s28, v28.4s")
n("fmov w13, s28")
go("CBNZ R13, done")
go("CBZ R6, done")
label("oloop")
go("VLD1 (R5), [V12.S4, V13.S4, V14.S4]")
for i in range(3):
    n(f"fmul v{12+i}.4s, v{12+i}.4s, v{i}.4s")
go("VST1 [V12.S4, V13.S4, V14.S4], (R5)")
go("ADD R2, R5, R5")
go("SUBS $1, R6, R6")
go("BNE oloop")
label("done")
go("RET")
raw('''
// Lane offsets 0..11 of the query index.
DATA ·neonIota+0(SB)/8, $0x0000000100000000
DATA ·neonIota+8(SB)/8, $0x0000000300000002
DATA ·neonIota+16(SB)/8, $0x0000000500000004
DATA ·neonIota+24(SB)/8, $0x0000000700000006
DATA ·neonIota+32(SB)/8, $0x0000000900000008
DATA ·neonIota+40(SB)/8, $0x0000000b0000000a
GLOBL ·neonIota(SB), RODATA|NOPTR, $48
''')
texts = [t for _, t in neon]
res = subprocess.run(["llvm-mc", "-triple=aarch64", "-mattr=+neon", "-show-encoding"], input="\n".join(texts) + "\n",
                     capture_output=True, text=True)
if res.returncode != 0:
    raise SystemExit(res.stderr)
encs = re.findall(r"encoding: \[0x(..),0x(..),0x(..),0x(..)\]", res.stdout)
assert len(encs) == len(texts), (len(encs), len(texts), res.stderr)
for (idx, t), e in zip(neon, encs):
    word = "".join(reversed(e))
    out[idx] = f"\tWORD $0x{word} // {t}"
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "softmax_arm64.s"), "w").write("\n".join(out) + "\n")
