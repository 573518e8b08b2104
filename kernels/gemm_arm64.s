#include "textflag.h"

// NEON f32 micro-kernel: an 8x12 tile of C in V0..V23 (row i in V(3i),
// V(3i+1), V(3i+2)). Each k step loads 8 values of the A panel into V24/V25
// and 12 of the B panel into V26..V28, then does 24 FMLA by element: 2 loads
// per 24 FMAs, 29 of the 32 vector registers. Arguments (ABI0): kd, a, b, c,
// ldc, load; see microKernel in dispatch.go.

// FMLAE(d, n, m, i): Vd.4S += Vn.4S * Vm.S[i]. Go's assembler has only the
// vector form of FMLA, so the by-element form is encoded here (checked
// against llvm-mc): 0x4F801000 | L<<21 | M:Rm<<16 | H<<11 | Rn<<5 | Rd.
#define FMLAE(d, n, m, i) WORD $(0x4F801000 | (((i)&1)<<21) | (((i)>>1)<<11) | ((m)<<16) | ((n)<<5) | (d))

#define ROW(i, a, e) FMLAE(3*(i), 26, a, e); FMLAE(3*(i)+1, 27, a, e); FMLAE(3*(i)+2, 28, a, e)

// STEP: one k step, advancing R1 (A) and R2 (B).
#define STEP \
	VLD1.P 32(R1), [V24.S4, V25.S4]; \
	VLD1.P 48(R2), [V26.S4, V27.S4, V28.S4]; \
	ROW(0, 24, 0); ROW(1, 24, 1); ROW(2, 24, 2); ROW(3, 24, 3); \
	ROW(4, 25, 0); ROW(5, 25, 1); ROW(6, 25, 2); ROW(7, 25, 3)

// func sgemmNEON(kd int, a, b, c *float32, ldc int, load bool)
TEXT ·sgemmNEON(SB), NOSPLIT, $0-41
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
	STEP
	STEP
	SUBS $1, R7, R7
	BNE loop
last:
	TBZ $0, R0, store
	STEP
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
