#include "textflag.h"

// Constants of math.Exp's amd64 code (src/math/exp_amd64.s), 4 copies each.
#define D4(name, v) \
	DATA name<>+0(SB)/8, v; DATA name<>+8(SB)/8, v; DATA name<>+16(SB)/8, v; DATA name<>+24(SB)/8, v; \
	GLOBL name<>(SB), RODATA|NOPTR, $32

D4(sxLog2e, $1.4426950408889634073599246810018920)
D4(sxLn2u, $0.69314718055966295651160180568695068359375)
D4(sxLn2l, $0.28235290563031577122588448175013436025525412068e-12)
D4(sxSixteenth, $0.0625)
D4(sxC64, $2.4801587301587301587e-5)
D4(sxC56, $1.9841269841269841270e-4)
D4(sxC48, $1.3888888888888888889e-3)
D4(sxC40, $8.3333333333333333333e-3)
D4(sxC32, $4.1666666666666666667e-2)
D4(sxC24, $1.6666666666666666667e-1)
D4(sxHalf, $0.5)
D4(sxOne, $1.0)
D4(sxTwo, $2.0)
D4(sxLimit, $708.0)
D4(sxBias, $1023)
D4(sxAbs, $0x7fffffffffffffff)
D4(sxSign, $0x8000000000000000)

DATA sxOne32<>+0(SB)/4, $1.0
DATA sxOne32<>+4(SB)/4, $1.0
DATA sxOne32<>+8(SB)/4, $1.0
DATA sxOne32<>+12(SB)/4, $1.0
GLOBL sxOne32<>(SB), RODATA|NOPTR, $16

// func siluMulAVX2(x, y *float32, n int) int
// g[i] = g[i]/(1+float32(exp(-g[i])))·u[i] for groups of 4 while at least 4
// remain and every input of the group is within ±708; returns how many it did.
TEXT ·siluMulAVX2(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	XORQ DX, DX
loop:
	CMPQ CX, $4
	JLT done
	VMOVUPS (SI), X0
	VCVTPS2PD X0, Y1
	VXORPD sxSign<>(SB), Y1, Y1 // −x
	VANDPD sxAbs<>(SB), Y1, Y2
	VCMPPD $2, sxLimit<>(SB), Y2, Y3 // |x| ≤ 708 (false for NaN)
	VMOVMSKPD Y3, AX
	CMPL AX, $15
	JNE done
	// e = round(x·log2e); r = (x − e·ln2u − e·ln2l)/16
	VMULPD sxLog2e<>(SB), Y1, Y4
	VCVTPD2DQY Y4, X5
	VCVTDQ2PD X5, Y4
	VFNMADD231PD sxLn2u<>(SB), Y4, Y1
	VFNMADD231PD sxLn2l<>(SB), Y4, Y1
	VMULPD sxSixteenth<>(SB), Y1, Y1
	// Taylor series in r, then four squarings of 1+(e^(r)−1).
	VMOVUPD sxC64<>(SB), Y6
	VFMADD213PD sxC56<>(SB), Y1, Y6
	VFMADD213PD sxC48<>(SB), Y1, Y6
	VFMADD213PD sxC40<>(SB), Y1, Y6
	VFMADD213PD sxC32<>(SB), Y1, Y6
	VFMADD213PD sxC24<>(SB), Y1, Y6
	VFMADD213PD sxHalf<>(SB), Y1, Y6
	VFMADD213PD sxOne<>(SB), Y1, Y6
	VMULPD Y6, Y1, Y1
	VADDPD sxTwo<>(SB), Y1, Y6
	VMULPD Y6, Y1, Y1
	VADDPD sxTwo<>(SB), Y1, Y6
	VMULPD Y6, Y1, Y1
	VADDPD sxTwo<>(SB), Y1, Y6
	VMULPD Y6, Y1, Y1
	VADDPD sxTwo<>(SB), Y1, Y6
	VFMADD213PD sxOne<>(SB), Y6, Y1
	// times 2^e
	VPMOVSXDQ X5, Y7
	VPADDQ sxBias<>(SB), Y7, Y7
	VPSLLQ $52, Y7, Y7
	VMULPD Y7, Y1, Y1
	// x / (1 + float32(e^−x)) · u, in float32
	VCVTPD2PSY Y1, X1
	VADDPS sxOne32<>(SB), X1, X1
	VDIVPS X1, X0, X2
	VMULPS (DI), X2, X2
	VMOVUPS X2, (SI)
	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $4, DX
	SUBQ $4, CX
	JMP loop
done:
	MOVQ DX, ret+24(FP)
	VZEROUPPER
	RET
