#include "textflag.h"

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
// asmgen/gemm_bf16_arm64.py (the BFDOTs as WORDs, encoded by llvm-mc).

// func sbf16NEON(kd int, a, b, c *float32, ldc int, load bool)
TEXT ·sbf16NEON(SB), NOSPLIT, $0-41
	MOVD kd+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD c+24(FP), R3
	MOVD ldc+32(FP), R4
	LSL $2, R4, R4
	MOVBU load+40(FP), R5
	CBZ R5, zero
	MOVD R3, R6
	VLD1 (R6), [V0.S4, V1.S4, V2.S4]
	ADD R4, R6, R6
	VLD1 (R6), [V3.S4, V4.S4, V5.S4]
	ADD R4, R6, R6
	VLD1 (R6), [V6.S4, V7.S4, V8.S4]
	ADD R4, R6, R6
	VLD1 (R6), [V9.S4, V10.S4, V11.S4]
	ADD R4, R6, R6
	VLD1 (R6), [V12.S4, V13.S4, V14.S4]
	ADD R4, R6, R6
	VLD1 (R6), [V15.S4, V16.S4, V17.S4]
	ADD R4, R6, R6
	VLD1 (R6), [V18.S4, V19.S4, V20.S4]
	ADD R4, R6, R6
	VLD1 (R6), [V21.S4, V22.S4, V23.S4]
	B loop0
zero:
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	VEOR V16.B16, V16.B16, V16.B16
	VEOR V17.B16, V17.B16, V17.B16
	VEOR V18.B16, V18.B16, V18.B16
	VEOR V19.B16, V19.B16, V19.B16
	VEOR V20.B16, V20.B16, V20.B16
	VEOR V21.B16, V21.B16, V21.B16
	VEOR V22.B16, V22.B16, V22.B16
	VEOR V23.B16, V23.B16, V23.B16
loop0:
	CBZ R0, store
	// Two steps an iteration, then the odd one.
	LSR $1, R0, R7
	CBZ R7, last
loop:
	VLD1.P 32(R1), [V24.S4, V25.S4]
	VLD1.P 48(R2), [V26.S4, V27.S4, V28.S4]
	WORD $0x4f58f340 // bfdot v0.4s, v26.8h, v24.2h[0]
	WORD $0x4f58f361 // bfdot v1.4s, v27.8h, v24.2h[0]
	WORD $0x4f58f382 // bfdot v2.4s, v28.8h, v24.2h[0]
	WORD $0x4f78f343 // bfdot v3.4s, v26.8h, v24.2h[1]
	WORD $0x4f78f364 // bfdot v4.4s, v27.8h, v24.2h[1]
	WORD $0x4f78f385 // bfdot v5.4s, v28.8h, v24.2h[1]
	WORD $0x4f58fb46 // bfdot v6.4s, v26.8h, v24.2h[2]
	WORD $0x4f58fb67 // bfdot v7.4s, v27.8h, v24.2h[2]
	WORD $0x4f58fb88 // bfdot v8.4s, v28.8h, v24.2h[2]
	WORD $0x4f78fb49 // bfdot v9.4s, v26.8h, v24.2h[3]
	WORD $0x4f78fb6a // bfdot v10.4s, v27.8h, v24.2h[3]
	WORD $0x4f78fb8b // bfdot v11.4s, v28.8h, v24.2h[3]
	WORD $0x4f59f34c // bfdot v12.4s, v26.8h, v25.2h[0]
	WORD $0x4f59f36d // bfdot v13.4s, v27.8h, v25.2h[0]
	WORD $0x4f59f38e // bfdot v14.4s, v28.8h, v25.2h[0]
	WORD $0x4f79f34f // bfdot v15.4s, v26.8h, v25.2h[1]
	WORD $0x4f79f370 // bfdot v16.4s, v27.8h, v25.2h[1]
	WORD $0x4f79f391 // bfdot v17.4s, v28.8h, v25.2h[1]
	WORD $0x4f59fb52 // bfdot v18.4s, v26.8h, v25.2h[2]
	WORD $0x4f59fb73 // bfdot v19.4s, v27.8h, v25.2h[2]
	WORD $0x4f59fb94 // bfdot v20.4s, v28.8h, v25.2h[2]
	WORD $0x4f79fb55 // bfdot v21.4s, v26.8h, v25.2h[3]
	WORD $0x4f79fb76 // bfdot v22.4s, v27.8h, v25.2h[3]
	WORD $0x4f79fb97 // bfdot v23.4s, v28.8h, v25.2h[3]
	VLD1.P 32(R1), [V24.S4, V25.S4]
	VLD1.P 48(R2), [V26.S4, V27.S4, V28.S4]
	WORD $0x4f58f340 // bfdot v0.4s, v26.8h, v24.2h[0]
	WORD $0x4f58f361 // bfdot v1.4s, v27.8h, v24.2h[0]
	WORD $0x4f58f382 // bfdot v2.4s, v28.8h, v24.2h[0]
	WORD $0x4f78f343 // bfdot v3.4s, v26.8h, v24.2h[1]
	WORD $0x4f78f364 // bfdot v4.4s, v27.8h, v24.2h[1]
	WORD $0x4f78f385 // bfdot v5.4s, v28.8h, v24.2h[1]
	WORD $0x4f58fb46 // bfdot v6.4s, v26.8h, v24.2h[2]
	WORD $0x4f58fb67 // bfdot v7.4s, v27.8h, v24.2h[2]
	WORD $0x4f58fb88 // bfdot v8.4s, v28.8h, v24.2h[2]
	WORD $0x4f78fb49 // bfdot v9.4s, v26.8h, v24.2h[3]
	WORD $0x4f78fb6a // bfdot v10.4s, v27.8h, v24.2h[3]
	WORD $0x4f78fb8b // bfdot v11.4s, v28.8h, v24.2h[3]
	WORD $0x4f59f34c // bfdot v12.4s, v26.8h, v25.2h[0]
	WORD $0x4f59f36d // bfdot v13.4s, v27.8h, v25.2h[0]
	WORD $0x4f59f38e // bfdot v14.4s, v28.8h, v25.2h[0]
	WORD $0x4f79f34f // bfdot v15.4s, v26.8h, v25.2h[1]
	WORD $0x4f79f370 // bfdot v16.4s, v27.8h, v25.2h[1]
	WORD $0x4f79f391 // bfdot v17.4s, v28.8h, v25.2h[1]
	WORD $0x4f59fb52 // bfdot v18.4s, v26.8h, v25.2h[2]
	WORD $0x4f59fb73 // bfdot v19.4s, v27.8h, v25.2h[2]
	WORD $0x4f59fb94 // bfdot v20.4s, v28.8h, v25.2h[2]
	WORD $0x4f79fb55 // bfdot v21.4s, v26.8h, v25.2h[3]
	WORD $0x4f79fb76 // bfdot v22.4s, v27.8h, v25.2h[3]
	WORD $0x4f79fb97 // bfdot v23.4s, v28.8h, v25.2h[3]
	SUBS $1, R7, R7
	BNE loop
last:
	TBZ $0, R0, store
	VLD1.P 32(R1), [V24.S4, V25.S4]
	VLD1.P 48(R2), [V26.S4, V27.S4, V28.S4]
	WORD $0x4f58f340 // bfdot v0.4s, v26.8h, v24.2h[0]
	WORD $0x4f58f361 // bfdot v1.4s, v27.8h, v24.2h[0]
	WORD $0x4f58f382 // bfdot v2.4s, v28.8h, v24.2h[0]
	WORD $0x4f78f343 // bfdot v3.4s, v26.8h, v24.2h[1]
	WORD $0x4f78f364 // bfdot v4.4s, v27.8h, v24.2h[1]
	WORD $0x4f78f385 // bfdot v5.4s, v28.8h, v24.2h[1]
	WORD $0x4f58fb46 // bfdot v6.4s, v26.8h, v24.2h[2]
	WORD $0x4f58fb67 // bfdot v7.4s, v27.8h, v24.2h[2]
	WORD $0x4f58fb88 // bfdot v8.4s, v28.8h, v24.2h[2]
	WORD $0x4f78fb49 // bfdot v9.4s, v26.8h, v24.2h[3]
	WORD $0x4f78fb6a // bfdot v10.4s, v27.8h, v24.2h[3]
	WORD $0x4f78fb8b // bfdot v11.4s, v28.8h, v24.2h[3]
	WORD $0x4f59f34c // bfdot v12.4s, v26.8h, v25.2h[0]
	WORD $0x4f59f36d // bfdot v13.4s, v27.8h, v25.2h[0]
	WORD $0x4f59f38e // bfdot v14.4s, v28.8h, v25.2h[0]
	WORD $0x4f79f34f // bfdot v15.4s, v26.8h, v25.2h[1]
	WORD $0x4f79f370 // bfdot v16.4s, v27.8h, v25.2h[1]
	WORD $0x4f79f391 // bfdot v17.4s, v28.8h, v25.2h[1]
	WORD $0x4f59fb52 // bfdot v18.4s, v26.8h, v25.2h[2]
	WORD $0x4f59fb73 // bfdot v19.4s, v27.8h, v25.2h[2]
	WORD $0x4f59fb94 // bfdot v20.4s, v28.8h, v25.2h[2]
	WORD $0x4f79fb55 // bfdot v21.4s, v26.8h, v25.2h[3]
	WORD $0x4f79fb76 // bfdot v22.4s, v27.8h, v25.2h[3]
	WORD $0x4f79fb97 // bfdot v23.4s, v28.8h, v25.2h[3]
store:
	MOVD R3, R6
	VST1 [V0.S4, V1.S4, V2.S4], (R6)
	ADD R4, R6, R6
	VST1 [V3.S4, V4.S4, V5.S4], (R6)
	ADD R4, R6, R6
	VST1 [V6.S4, V7.S4, V8.S4], (R6)
	ADD R4, R6, R6
	VST1 [V9.S4, V10.S4, V11.S4], (R6)
	ADD R4, R6, R6
	VST1 [V12.S4, V13.S4, V14.S4], (R6)
	ADD R4, R6, R6
	VST1 [V15.S4, V16.S4, V17.S4], (R6)
	ADD R4, R6, R6
	VST1 [V18.S4, V19.S4, V20.S4], (R6)
	ADD R4, R6, R6
	VST1 [V21.S4, V22.S4, V23.S4], (R6)
	RET
