#include "textflag.h"

// func dotsF64AVX2(dst, q, k *float64, n, d int)
// dst[j] = Σ_t q[t]·k[j·d+t] for j < n; d > 0, d % 4 == 0.
// Four rows at a time: one accumulator of 4 lanes per row, then the four
// accumulators are reduced together into one vector of 4 sums.
TEXT ·dotsF64AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ q+8(FP), SI
	MOVQ k+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ d+32(FP), R8
	SHLQ $3, R8 // row length in bytes

rows4:
	CMPQ CX, $4
	JL   rows1
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	LEAQ (BX)(R8*1), R10
	LEAQ (R10)(R8*1), R11
	LEAQ (R11)(R8*1), R12
	XORQ AX, AX

inner4:
	VMOVUPD     (SI)(AX*1), Y4
	VFMADD231PD (BX)(AX*1), Y4, Y0
	VFMADD231PD (R10)(AX*1), Y4, Y1
	VFMADD231PD (R11)(AX*1), Y4, Y2
	VFMADD231PD (R12)(AX*1), Y4, Y3
	ADDQ        $32, AX
	CMPQ        AX, R8
	JL          inner4

	VHADDPD    Y1, Y0, Y0       // [a0+a1, b0+b1, a2+a3, b2+b3]
	VHADDPD    Y3, Y2, Y2       // [c0+c1, d0+d1, c2+c3, d2+d3]
	VPERM2F128 $0x20, Y2, Y0, Y5 // [a01, b01, c01, d01]
	VPERM2F128 $0x31, Y2, Y0, Y6 // [a23, b23, c23, d23]
	VADDPD     Y6, Y5, Y5
	VMOVUPD    Y5, (DI)
	ADDQ       $32, DI
	LEAQ       (BX)(R8*4), BX
	SUBQ       $4, CX
	JMP        rows4

rows1:
	TESTQ CX, CX
	JE    done
	VXORPD Y0, Y0, Y0
	XORQ  AX, AX

inner1:
	VMOVUPD     (SI)(AX*1), Y4
	VFMADD231PD (BX)(AX*1), Y4, Y0
	ADDQ        $32, AX
	CMPQ        AX, R8
	JL          inner1

	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VMOVSD       X0, (DI)
	ADDQ         $8, DI
	ADDQ         R8, BX
	DECQ         CX
	JMP          rows1

done:
	VZEROUPPER
	RET
