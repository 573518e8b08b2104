#include "textflag.h"

// softmaxStripNEON is softmaxStripGo for a strip of 12 lanes (the NEON
// tile's nr) in three 4-lane vectors: lane-wise online softmax down the rows
// of a score panel, with expNeg's exponential. The NEON instructions Go's
// assembler does not know are WORDs, each followed by its instruction
// (encoded with llvm-mc by asmgen/softmax_arm64.py, which writes this file).
//
// func softmaxStripNEON(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)
TEXT ·softmaxStripNEON(SB), NOSPLIT, $0-89
	MOVD s+0(FP), R0
	MOVD nk+8(FP), R1
	MOVD ld+16(FP), R2
	MOVD m+24(FP), R3
	MOVD l+32(FP), R4
	MOVD o+40(FP), R5
	MOVD dpad+48(FP), R6
	FMOVS scale+56(FP), F12
	MOVD qi0+64(FP), R7
	MOVD kj0+72(FP), R8
	MOVD window+80(FP), R9
	MOVBU masked+88(FP), R10
	// Pass 1: scale (and mask) the scores, running max in V3..V5.
	WORD $0x4e04058c // dup v12.4s, v12.s[0]
	VLD1 (R3), [V3.S4, V4.S4, V5.S4]
	MOVD R0, R11
	MOVD R1, R12
	CBZ R10, plain
	// V6..V8: query − key per lane (as unsigned: visible iff below the window V9).
	SUB R8, R7, R13
	WORD $0x4e040da6 // dup v6.4s, w13
	MOVD $·neonIota(SB), R14
	VLD1 (R14), [V13.S4, V14.S4, V15.S4]
	WORD $0x4eae84c7 // add v7.4s, v6.4s, v14.4s
	WORD $0x4eaf84c8 // add v8.4s, v6.4s, v15.4s
	WORD $0x4ead84c6 // add v6.4s, v6.4s, v13.4s
	WORD $0x4e040d29 // dup v9.4s, w9
	WORD $0x4f00042a // movi v10.4s, #1
	MOVW $0xff800000, R13
	WORD $0x4e040dab // dup v11.4s, w13
maskloop:
	VLD1 (R11), [V0.S4, V1.S4, V2.S4]
	WORD $0x6e2cdc00 // fmul v0.4s, v0.4s, v12.4s
	WORD $0x6ea93ccd // cmhs v13.4s, v6.4s, v9.4s
	WORD $0x6ead1d60 // bit v0.16b, v11.16b, v13.16b
	WORD $0x6eaa84c6 // sub v6.4s, v6.4s, v10.4s
	WORD $0x6e2cdc21 // fmul v1.4s, v1.4s, v12.4s
	WORD $0x6ea93cee // cmhs v14.4s, v7.4s, v9.4s
	WORD $0x6eae1d61 // bit v1.16b, v11.16b, v14.16b
	WORD $0x6eaa84e7 // sub v7.4s, v7.4s, v10.4s
	WORD $0x6e2cdc42 // fmul v2.4s, v2.4s, v12.4s
	WORD $0x6ea93d0f // cmhs v15.4s, v8.4s, v9.4s
	WORD $0x6eaf1d62 // bit v2.16b, v11.16b, v15.16b
	WORD $0x6eaa8508 // sub v8.4s, v8.4s, v10.4s
	VST1 [V0.S4, V1.S4, V2.S4], (R11)
	WORD $0x4e20f463 // fmax v3.4s, v3.4s, v0.4s
	WORD $0x4e21f484 // fmax v4.4s, v4.4s, v1.4s
	WORD $0x4e22f4a5 // fmax v5.4s, v5.4s, v2.4s
	ADD R2, R11, R11
	SUBS $1, R12, R12
	BNE maskloop
	B maxdone
plain:
	VLD1 (R11), [V0.S4, V1.S4, V2.S4]
	WORD $0x6e2cdc00 // fmul v0.4s, v0.4s, v12.4s
	WORD $0x6e2cdc21 // fmul v1.4s, v1.4s, v12.4s
	WORD $0x6e2cdc42 // fmul v2.4s, v2.4s, v12.4s
	VST1 [V0.S4, V1.S4, V2.S4], (R11)
	WORD $0x4e20f463 // fmax v3.4s, v3.4s, v0.4s
	WORD $0x4e21f484 // fmax v4.4s, v4.4s, v1.4s
	WORD $0x4e22f4a5 // fmax v5.4s, v5.4s, v2.4s
	ADD R2, R11, R11
	SUBS $1, R12, R12
	BNE plain
maxdone:
	// Constants of the exponential.
	MOVW $0x3fb8aa3b, R13 // log2(e)
	WORD $0x4e040db0 // dup v16.4s, w13
	MOVW $0x3f000000, R13 // 0.5
	WORD $0x4e040db1 // dup v17.4s, w13
	MOVW $0x3f317200, R13 // ln2 high part
	WORD $0x4e040db2 // dup v18.4s, w13
	MOVW $0x35bfbe8e, R13 // ln2 low part
	WORD $0x4e040db3 // dup v19.4s, w13
	MOVW $0x39500d01, R13 // 1/5040
	WORD $0x4e040db4 // dup v20.4s, w13
	MOVW $0x3ab60b61, R13 // 1/720
	WORD $0x4e040db5 // dup v21.4s, w13
	MOVW $0x3c088889, R13 // 1/120
	WORD $0x4e040db6 // dup v22.4s, w13
	MOVW $0x3d2aaaab, R13 // 1/24
	WORD $0x4e040db7 // dup v23.4s, w13
	MOVW $0x3e2aaaab, R13 // 1/6
	WORD $0x4e040db8 // dup v24.4s, w13
	MOVW $0x3f800000, R13 // 1.0
	WORD $0x4e040db9 // dup v25.4s, w13
	MOVW $0x7f, R13 // exponent bias
	WORD $0x4e040dba // dup v26.4s, w13
	MOVW $0xc2aea8f6, R13 // -87.33
	WORD $0x4e040dbb // dup v27.4s, w13
	// Pass 2: probabilities e^(score − max), their sums in V6..V8.
	WORD $0x4f000406 // movi v6.4s, #0
	WORD $0x4f000407 // movi v7.4s, #0
	WORD $0x4f000408 // movi v8.4s, #0
	MOVD R0, R11
	MOVD R1, R12
exploop:
	VLD1 (R11), [V0.S4, V1.S4, V2.S4]
	WORD $0x4ea3d400 // fsub v0.4s, v0.4s, v3.4s
	WORD $0x4ea4d421 // fsub v1.4s, v1.4s, v4.4s
	WORD $0x4ea5d442 // fsub v2.4s, v2.4s, v5.4s
	WORD $0x6e30dc1c // fmul v28.4s, v0.4s, v16.4s
	WORD $0x4eb1d79c // fsub v28.4s, v28.4s, v17.4s
	WORD $0x4ea1bb9c // fcvtzs v28.4s, v28.4s
	WORD $0x4e21db9d // scvtf v29.4s, v28.4s
	WORD $0x6ebbe41e // fcmgt v30.4s, v0.4s, v27.4s
	WORD $0x4eb2cfa0 // fmls v0.4s, v29.4s, v18.4s
	WORD $0x4eb3cfa0 // fmls v0.4s, v29.4s, v19.4s
	WORD $0x4eb51ebd // mov v29.16b, v21.16b
	WORD $0x4e20ce9d // fmla v29.4s, v20.4s, v0.4s
	WORD $0x4eb61edf // mov v31.16b, v22.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb71eff // mov v31.16b, v23.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb81f1f // mov v31.16b, v24.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb11e3f // mov v31.16b, v17.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eba879c // add v28.4s, v28.4s, v26.4s
	WORD $0x4f37579c // shl v28.4s, v28.4s, #23
	WORD $0x6e3cdfa0 // fmul v0.4s, v29.4s, v28.4s
	WORD $0x4e3e1c00 // and v0.16b, v0.16b, v30.16b
	WORD $0x6e30dc3c // fmul v28.4s, v1.4s, v16.4s
	WORD $0x4eb1d79c // fsub v28.4s, v28.4s, v17.4s
	WORD $0x4ea1bb9c // fcvtzs v28.4s, v28.4s
	WORD $0x4e21db9d // scvtf v29.4s, v28.4s
	WORD $0x6ebbe43e // fcmgt v30.4s, v1.4s, v27.4s
	WORD $0x4eb2cfa1 // fmls v1.4s, v29.4s, v18.4s
	WORD $0x4eb3cfa1 // fmls v1.4s, v29.4s, v19.4s
	WORD $0x4eb51ebd // mov v29.16b, v21.16b
	WORD $0x4e21ce9d // fmla v29.4s, v20.4s, v1.4s
	WORD $0x4eb61edf // mov v31.16b, v22.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb71eff // mov v31.16b, v23.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb81f1f // mov v31.16b, v24.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb11e3f // mov v31.16b, v17.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eba879c // add v28.4s, v28.4s, v26.4s
	WORD $0x4f37579c // shl v28.4s, v28.4s, #23
	WORD $0x6e3cdfa1 // fmul v1.4s, v29.4s, v28.4s
	WORD $0x4e3e1c21 // and v1.16b, v1.16b, v30.16b
	WORD $0x6e30dc5c // fmul v28.4s, v2.4s, v16.4s
	WORD $0x4eb1d79c // fsub v28.4s, v28.4s, v17.4s
	WORD $0x4ea1bb9c // fcvtzs v28.4s, v28.4s
	WORD $0x4e21db9d // scvtf v29.4s, v28.4s
	WORD $0x6ebbe45e // fcmgt v30.4s, v2.4s, v27.4s
	WORD $0x4eb2cfa2 // fmls v2.4s, v29.4s, v18.4s
	WORD $0x4eb3cfa2 // fmls v2.4s, v29.4s, v19.4s
	WORD $0x4eb51ebd // mov v29.16b, v21.16b
	WORD $0x4e22ce9d // fmla v29.4s, v20.4s, v2.4s
	WORD $0x4eb61edf // mov v31.16b, v22.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb71eff // mov v31.16b, v23.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb81f1f // mov v31.16b, v24.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb11e3f // mov v31.16b, v17.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eba879c // add v28.4s, v28.4s, v26.4s
	WORD $0x4f37579c // shl v28.4s, v28.4s, #23
	WORD $0x6e3cdfa2 // fmul v2.4s, v29.4s, v28.4s
	WORD $0x4e3e1c42 // and v2.16b, v2.16b, v30.16b
	VST1 [V0.S4, V1.S4, V2.S4], (R11)
	WORD $0x4e20d4c6 // fadd v6.4s, v6.4s, v0.4s
	WORD $0x4e21d4e7 // fadd v7.4s, v7.4s, v1.4s
	WORD $0x4e22d508 // fadd v8.4s, v8.4s, v2.4s
	ADD R2, R11, R11
	SUBS $1, R12, R12
	BNE exploop
	// corr = e^(old max − new max) in V0..V2; store the new max.
	VLD1 (R3), [V0.S4, V1.S4, V2.S4]
	VST1 [V3.S4, V4.S4, V5.S4], (R3)
	WORD $0x4ea3d400 // fsub v0.4s, v0.4s, v3.4s
	WORD $0x4ea4d421 // fsub v1.4s, v1.4s, v4.4s
	WORD $0x4ea5d442 // fsub v2.4s, v2.4s, v5.4s
	WORD $0x6e30dc1c // fmul v28.4s, v0.4s, v16.4s
	WORD $0x4eb1d79c // fsub v28.4s, v28.4s, v17.4s
	WORD $0x4ea1bb9c // fcvtzs v28.4s, v28.4s
	WORD $0x4e21db9d // scvtf v29.4s, v28.4s
	WORD $0x6ebbe41e // fcmgt v30.4s, v0.4s, v27.4s
	WORD $0x4eb2cfa0 // fmls v0.4s, v29.4s, v18.4s
	WORD $0x4eb3cfa0 // fmls v0.4s, v29.4s, v19.4s
	WORD $0x4eb51ebd // mov v29.16b, v21.16b
	WORD $0x4e20ce9d // fmla v29.4s, v20.4s, v0.4s
	WORD $0x4eb61edf // mov v31.16b, v22.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb71eff // mov v31.16b, v23.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb81f1f // mov v31.16b, v24.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb11e3f // mov v31.16b, v17.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e20cfbf // fmla v31.4s, v29.4s, v0.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eba879c // add v28.4s, v28.4s, v26.4s
	WORD $0x4f37579c // shl v28.4s, v28.4s, #23
	WORD $0x6e3cdfa0 // fmul v0.4s, v29.4s, v28.4s
	WORD $0x4e3e1c00 // and v0.16b, v0.16b, v30.16b
	WORD $0x6e30dc3c // fmul v28.4s, v1.4s, v16.4s
	WORD $0x4eb1d79c // fsub v28.4s, v28.4s, v17.4s
	WORD $0x4ea1bb9c // fcvtzs v28.4s, v28.4s
	WORD $0x4e21db9d // scvtf v29.4s, v28.4s
	WORD $0x6ebbe43e // fcmgt v30.4s, v1.4s, v27.4s
	WORD $0x4eb2cfa1 // fmls v1.4s, v29.4s, v18.4s
	WORD $0x4eb3cfa1 // fmls v1.4s, v29.4s, v19.4s
	WORD $0x4eb51ebd // mov v29.16b, v21.16b
	WORD $0x4e21ce9d // fmla v29.4s, v20.4s, v1.4s
	WORD $0x4eb61edf // mov v31.16b, v22.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb71eff // mov v31.16b, v23.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb81f1f // mov v31.16b, v24.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb11e3f // mov v31.16b, v17.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e21cfbf // fmla v31.4s, v29.4s, v1.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eba879c // add v28.4s, v28.4s, v26.4s
	WORD $0x4f37579c // shl v28.4s, v28.4s, #23
	WORD $0x6e3cdfa1 // fmul v1.4s, v29.4s, v28.4s
	WORD $0x4e3e1c21 // and v1.16b, v1.16b, v30.16b
	WORD $0x6e30dc5c // fmul v28.4s, v2.4s, v16.4s
	WORD $0x4eb1d79c // fsub v28.4s, v28.4s, v17.4s
	WORD $0x4ea1bb9c // fcvtzs v28.4s, v28.4s
	WORD $0x4e21db9d // scvtf v29.4s, v28.4s
	WORD $0x6ebbe45e // fcmgt v30.4s, v2.4s, v27.4s
	WORD $0x4eb2cfa2 // fmls v2.4s, v29.4s, v18.4s
	WORD $0x4eb3cfa2 // fmls v2.4s, v29.4s, v19.4s
	WORD $0x4eb51ebd // mov v29.16b, v21.16b
	WORD $0x4e22ce9d // fmla v29.4s, v20.4s, v2.4s
	WORD $0x4eb61edf // mov v31.16b, v22.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb71eff // mov v31.16b, v23.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb81f1f // mov v31.16b, v24.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb11e3f // mov v31.16b, v17.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eb91f3f // mov v31.16b, v25.16b
	WORD $0x4e22cfbf // fmla v31.4s, v29.4s, v2.4s
	WORD $0x4ebf1ffd // mov v29.16b, v31.16b
	WORD $0x4eba879c // add v28.4s, v28.4s, v26.4s
	WORD $0x4f37579c // shl v28.4s, v28.4s, #23
	WORD $0x6e3cdfa2 // fmul v2.4s, v29.4s, v28.4s
	WORD $0x4e3e1c42 // and v2.16b, v2.16b, v30.16b
	// l = l·corr + sum, in float64 (fused, as Go computes it on arm64).
	WORD $0x0e61781c // fcvtl v28.2d, v0.2s
	WORD $0x4e61781d // fcvtl2 v29.2d, v0.4s
	WORD $0x0e6178de // fcvtl v30.2d, v6.2s
	WORD $0x4e6178df // fcvtl2 v31.2d, v6.4s
	VLD1 (R4), [V12.D2, V13.D2]
	WORD $0x4e7ccd9e // fmla v30.2d, v12.2d, v28.2d
	WORD $0x4e7dcdbf // fmla v31.2d, v13.2d, v29.2d
	VST1.P [V30.D2, V31.D2], 32(R4)
	WORD $0x0e61783c // fcvtl v28.2d, v1.2s
	WORD $0x4e61783d // fcvtl2 v29.2d, v1.4s
	WORD $0x0e6178fe // fcvtl v30.2d, v7.2s
	WORD $0x4e6178ff // fcvtl2 v31.2d, v7.4s
	VLD1 (R4), [V12.D2, V13.D2]
	WORD $0x4e7ccd9e // fmla v30.2d, v12.2d, v28.2d
	WORD $0x4e7dcdbf // fmla v31.2d, v13.2d, v29.2d
	VST1.P [V30.D2, V31.D2], 32(R4)
	WORD $0x0e61785c // fcvtl v28.2d, v2.2s
	WORD $0x4e61785d // fcvtl2 v29.2d, v2.4s
	WORD $0x0e61791e // fcvtl v30.2d, v8.2s
	WORD $0x4e61791f // fcvtl2 v31.2d, v8.4s
	VLD1 (R4), [V12.D2, V13.D2]
	WORD $0x4e7ccd9e // fmla v30.2d, v12.2d, v28.2d
	WORD $0x4e7dcdbf // fmla v31.2d, v13.2d, v29.2d
	VST1.P [V30.D2, V31.D2], 32(R4)
	// Rescale the partial output unless corr is 1 in every lane.
	WORD $0x4e39e41c // fcmeq v28.4s, v0.4s, v25.4s
	WORD $0x4e39e43d // fcmeq v29.4s, v1.4s, v25.4s
	WORD $0x4e39e45e // fcmeq v30.4s, v2.4s, v25.4s
	WORD $0x4e3d1f9c // and v28.16b, v28.16b, v29.16b
	WORD $0x4e3e1f9c // and v28.16b, v28.16b, v30.16b
	WORD $0x6eb1ab9c // uminv s28, v28.4s
	WORD $0x1e26038d // fmov w13, s28
	CBNZ R13, done
	CBZ R6, done
oloop:
	VLD1 (R5), [V12.S4, V13.S4, V14.S4]
	WORD $0x6e20dd8c // fmul v12.4s, v12.4s, v0.4s
	WORD $0x6e21ddad // fmul v13.4s, v13.4s, v1.4s
	WORD $0x6e22ddce // fmul v14.4s, v14.4s, v2.4s
	VST1 [V12.S4, V13.S4, V14.S4], (R5)
	ADD R2, R5, R5
	SUBS $1, R6, R6
	BNE oloop
done:
	RET

// Lane offsets 0..11 of the query index.
DATA ·neonIota+0(SB)/8, $0x0000000100000000
DATA ·neonIota+8(SB)/8, $0x0000000300000002
DATA ·neonIota+16(SB)/8, $0x0000000500000004
DATA ·neonIota+24(SB)/8, $0x0000000700000006
DATA ·neonIota+32(SB)/8, $0x0000000900000008
DATA ·neonIota+40(SB)/8, $0x0000000b0000000a
GLOBL ·neonIota(SB), RODATA|NOPTR, $48

