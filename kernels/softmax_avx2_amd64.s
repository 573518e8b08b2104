#include "textflag.h"

// softmaxStripAVX2 is softmaxStripGo for 16 lanes (the AVX2 tile's nr) in
// two ymm vectors, AVX2 + FMA only: the AVX-512 strip without mask registers
// (compares and blends), VSCALEFPS (2ⁿ through the exponent bits) or
// embedded broadcasts (the constants are 8-lane rows in memory).

// Constants of the exponential, each repeated in 8 lanes.
DATA avx2Exp<>+0(SB)/8, $0x3fb8aa3b3fb8aa3b // log2e
DATA avx2Exp<>+8(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA avx2Exp<>+16(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA avx2Exp<>+24(SB)/8, $0x3fb8aa3b3fb8aa3b
DATA avx2Exp<>+32(SB)/8, $0x3f0000003f000000 // half
DATA avx2Exp<>+40(SB)/8, $0x3f0000003f000000
DATA avx2Exp<>+48(SB)/8, $0x3f0000003f000000
DATA avx2Exp<>+56(SB)/8, $0x3f0000003f000000
DATA avx2Exp<>+64(SB)/8, $0x3f3172003f317200 // ln2hi
DATA avx2Exp<>+72(SB)/8, $0x3f3172003f317200
DATA avx2Exp<>+80(SB)/8, $0x3f3172003f317200
DATA avx2Exp<>+88(SB)/8, $0x3f3172003f317200
DATA avx2Exp<>+96(SB)/8, $0x35bfbe8e35bfbe8e // ln2lo
DATA avx2Exp<>+104(SB)/8, $0x35bfbe8e35bfbe8e
DATA avx2Exp<>+112(SB)/8, $0x35bfbe8e35bfbe8e
DATA avx2Exp<>+120(SB)/8, $0x35bfbe8e35bfbe8e
DATA avx2Exp<>+128(SB)/8, $0x39500d0139500d01 // c5040
DATA avx2Exp<>+136(SB)/8, $0x39500d0139500d01
DATA avx2Exp<>+144(SB)/8, $0x39500d0139500d01
DATA avx2Exp<>+152(SB)/8, $0x39500d0139500d01
DATA avx2Exp<>+160(SB)/8, $0x3ab60b613ab60b61 // c720
DATA avx2Exp<>+168(SB)/8, $0x3ab60b613ab60b61
DATA avx2Exp<>+176(SB)/8, $0x3ab60b613ab60b61
DATA avx2Exp<>+184(SB)/8, $0x3ab60b613ab60b61
DATA avx2Exp<>+192(SB)/8, $0x3c0888893c088889 // c120
DATA avx2Exp<>+200(SB)/8, $0x3c0888893c088889
DATA avx2Exp<>+208(SB)/8, $0x3c0888893c088889
DATA avx2Exp<>+216(SB)/8, $0x3c0888893c088889
DATA avx2Exp<>+224(SB)/8, $0x3d2aaaab3d2aaaab // c24
DATA avx2Exp<>+232(SB)/8, $0x3d2aaaab3d2aaaab
DATA avx2Exp<>+240(SB)/8, $0x3d2aaaab3d2aaaab
DATA avx2Exp<>+248(SB)/8, $0x3d2aaaab3d2aaaab
DATA avx2Exp<>+256(SB)/8, $0x3e2aaaab3e2aaaab // c6
DATA avx2Exp<>+264(SB)/8, $0x3e2aaaab3e2aaaab
DATA avx2Exp<>+272(SB)/8, $0x3e2aaaab3e2aaaab
DATA avx2Exp<>+280(SB)/8, $0x3e2aaaab3e2aaaab
DATA avx2Exp<>+288(SB)/8, $0x3f8000003f800000 // one
DATA avx2Exp<>+296(SB)/8, $0x3f8000003f800000
DATA avx2Exp<>+304(SB)/8, $0x3f8000003f800000
DATA avx2Exp<>+312(SB)/8, $0x3f8000003f800000
DATA avx2Exp<>+320(SB)/8, $0x7f0000007f // bias
DATA avx2Exp<>+328(SB)/8, $0x7f0000007f
DATA avx2Exp<>+336(SB)/8, $0x7f0000007f
DATA avx2Exp<>+344(SB)/8, $0x7f0000007f
DATA avx2Exp<>+352(SB)/8, $0xc2aea8f6c2aea8f6 // thr
DATA avx2Exp<>+360(SB)/8, $0xc2aea8f6c2aea8f6
DATA avx2Exp<>+368(SB)/8, $0xc2aea8f6c2aea8f6
DATA avx2Exp<>+376(SB)/8, $0xc2aea8f6c2aea8f6
DATA avx2Exp<>+384(SB)/8, $0xff800000ff800000 // neginf
DATA avx2Exp<>+392(SB)/8, $0xff800000ff800000
DATA avx2Exp<>+400(SB)/8, $0xff800000ff800000
DATA avx2Exp<>+408(SB)/8, $0xff800000ff800000
GLOBL avx2Exp<>(SB), RODATA|NOPTR, $416

// Query index offsets of the 16 lanes.
DATA avx2Iota<>+0(SB)/4, $0
DATA avx2Iota<>+4(SB)/4, $1
DATA avx2Iota<>+8(SB)/4, $2
DATA avx2Iota<>+12(SB)/4, $3
DATA avx2Iota<>+16(SB)/4, $4
DATA avx2Iota<>+20(SB)/4, $5
DATA avx2Iota<>+24(SB)/4, $6
DATA avx2Iota<>+28(SB)/4, $7
DATA avx2Iota<>+32(SB)/4, $8
DATA avx2Iota<>+36(SB)/4, $9
DATA avx2Iota<>+40(SB)/4, $10
DATA avx2Iota<>+44(SB)/4, $11
DATA avx2Iota<>+48(SB)/4, $12
DATA avx2Iota<>+52(SB)/4, $13
DATA avx2Iota<>+56(SB)/4, $14
DATA avx2Iota<>+60(SB)/4, $15
GLOBL avx2Iota<>(SB), RODATA|NOPTR, $64

// EXP8(x, t1, t2, t3) replaces x with e^x lane-wise for x ≤ 0, exactly as
// expNeg: n = int32(x·log2e − 0.5), r = x − n·ln2hi − n·ln2lo, degree-7
// Taylor polynomial in r, times 2ⁿ through the exponent bits; lanes not above
// -87.33 (also -Inf and NaN, i.e. masked scores) give 0.
#define EXP8(x, t1, t2, t3) \
	VMULPS avx2Exp<>+0(SB), x, t1; VSUBPS avx2Exp<>+32(SB), t1, t1; \
	VCVTTPS2DQ t1, t1; VCVTDQ2PS t1, t2; \
	VCMPPS $0x1e, avx2Exp<>+352(SB), x, t3; \
	VFNMADD231PS avx2Exp<>+64(SB), t2, x; VFNMADD231PS avx2Exp<>+96(SB), t2, x; \
	VMOVUPS avx2Exp<>+128(SB), t2; \
	VFMADD213PS avx2Exp<>+160(SB), x, t2; VFMADD213PS avx2Exp<>+192(SB), x, t2; \
	VFMADD213PS avx2Exp<>+224(SB), x, t2; VFMADD213PS avx2Exp<>+256(SB), x, t2; \
	VFMADD213PS avx2Exp<>+32(SB), x, t2; VFMADD213PS avx2Exp<>+288(SB), x, t2; \
	VFMADD213PS avx2Exp<>+288(SB), x, t2; \
	VPADDD avx2Exp<>+320(SB), t1, t1; VPSLLD $23, t1, t1; \
	VMULPS t1, t2, x; VANDPS t3, x, x

// func softmaxStripAVX2(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)
// ld is in bytes here.
TEXT ·softmaxStripAVX2(SB), NOSPLIT, $0-89
	MOVQ s+0(FP), DI
	MOVQ nk+8(FP), CX
	MOVQ ld+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ l+32(FP), R9
	MOVQ o+40(FP), R10
	MOVQ dpad+48(FP), R11
	VBROADCASTSS scale+56(FP), Y4

	// Pass 1: scale (and mask) the scores, running max in Y2, Y3.
	VMOVUPS (R8), Y2
	VMOVUPS 32(R8), Y3
	MOVQ DI, AX
	MOVQ CX, BX
	MOVBLZX masked+88(FP), DX
	TESTL DX, DX
	JNZ masked
plain:
	VMULPS (AX), Y4, Y0
	VMULPS 32(AX), Y4, Y1
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMAXPS Y0, Y2, Y2
	VMAXPS Y1, Y3, Y3
	ADDQ SI, AX
	DECQ BX
	JNZ plain
	JMP maxdone
masked:
	// Y5, Y6: query − key per lane; a key is visible iff 0 ≤ it < window.
	// Y7: window − 1, Y8: ones, Y9: -Inf, Y10: zero.
	MOVQ qi0+64(FP), DX
	SUBQ kj0+72(FP), DX
	MOVQ DX, X5
	VPBROADCASTD X5, Y5
	VPADDD avx2Iota<>+32(SB), Y5, Y6
	VPADDD avx2Iota<>+0(SB), Y5, Y5
	MOVQ window+80(FP), DX
	DECQ DX
	MOVQ DX, X7
	VPBROADCASTD X7, Y7
	MOVL $1, DX
	MOVQ DX, X8
	VPBROADCASTD X8, Y8
	VMOVUPS avx2Exp<>+384(SB), Y9
	VXORPS Y10, Y10, Y10
maskloop:
	VMULPS (AX), Y4, Y0
	VMULPS 32(AX), Y4, Y1
	VPCMPGTD Y7, Y5, Y11
	VPCMPGTD Y5, Y10, Y12
	VPOR Y12, Y11, Y11
	VBLENDVPS Y11, Y9, Y0, Y0
	VPCMPGTD Y7, Y6, Y11
	VPCMPGTD Y6, Y10, Y12
	VPOR Y12, Y11, Y11
	VBLENDVPS Y11, Y9, Y1, Y1
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VMAXPS Y0, Y2, Y2
	VMAXPS Y1, Y3, Y3
	VPSUBD Y8, Y5, Y5
	VPSUBD Y8, Y6, Y6
	ADDQ SI, AX
	DECQ BX
	JNZ maskloop
maxdone:

	// Pass 2: probabilities e^(score − max), their sums in Y4, Y5.
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	MOVQ DI, AX
	MOVQ CX, BX
exploop:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VSUBPS Y2, Y0, Y0
	VSUBPS Y3, Y1, Y1
	EXP8(Y0, Y8, Y9, Y10)
	EXP8(Y1, Y11, Y12, Y13)
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	VADDPS Y0, Y4, Y4
	VADDPS Y1, Y5, Y5
	ADDQ SI, AX
	DECQ BX
	JNZ exploop

	// corr = e^(old max − new max) in Y0, Y1; store the new max.
	VMOVUPS (R8), Y0
	VMOVUPS 32(R8), Y1
	VMOVUPS Y2, (R8)
	VMOVUPS Y3, 32(R8)
	VSUBPS Y2, Y0, Y0
	VSUBPS Y3, Y1, Y1
	EXP8(Y0, Y8, Y9, Y10)
	EXP8(Y1, Y11, Y12, Y13)

	// l = l·corr + sum, in float64, 4 lanes at a time.
	VCVTPS2PD X0, Y8
	VCVTPS2PD X4, Y9
	VMOVUPD (R9), Y10
	VFMADD213PD Y9, Y8, Y10
	VMOVUPD Y10, (R9)
	VEXTRACTF128 $1, Y0, X8
	VEXTRACTF128 $1, Y4, X9
	VCVTPS2PD X8, Y8
	VCVTPS2PD X9, Y9
	VMOVUPD 32(R9), Y10
	VFMADD213PD Y9, Y8, Y10
	VMOVUPD Y10, 32(R9)
	VCVTPS2PD X1, Y8
	VCVTPS2PD X5, Y9
	VMOVUPD 64(R9), Y10
	VFMADD213PD Y9, Y8, Y10
	VMOVUPD Y10, 64(R9)
	VEXTRACTF128 $1, Y1, X8
	VEXTRACTF128 $1, Y5, X9
	VCVTPS2PD X8, Y8
	VCVTPS2PD X9, Y9
	VMOVUPD 96(R9), Y10
	VFMADD213PD Y9, Y8, Y10
	VMOVUPD Y10, 96(R9)

	// Rescale the partial output unless corr is 1 in every lane.
	VMOVUPS avx2Exp<>+288(SB), Y8
	VCMPPS $4, Y8, Y0, Y9
	VCMPPS $4, Y8, Y1, Y10
	VORPS Y10, Y9, Y9
	VMOVMSKPS Y9, DX
	TESTL DX, DX
	JZ done
	TESTQ R11, R11
	JZ done
oloop:
	VMULPS (R10), Y0, Y8
	VMULPS 32(R10), Y1, Y9
	VMOVUPS Y8, (R10)
	VMOVUPS Y9, 32(R10)
	ADDQ SI, R10
	DECQ R11
	JNZ oloop
done:
	VZEROUPPER
	RET
