#include "textflag.h"

// func addMulF64AVX2(dst *float64, a float64, x *float64, n int)
// n is a multiple of 8.
TEXT ·addMulF64AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	VBROADCASTSD a+8(FP), Y0
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	SHRQ $3, CX
loop:
	VMULPD (SI), Y0, Y1
	VMULPD 32(SI), Y0, Y2
	VADDPD (DI), Y1, Y1
	VADDPD 32(DI), Y2, Y2
	VMOVUPD Y1, (DI)
	VMOVUPD Y2, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNZ loop
	VZEROUPPER
	RET
