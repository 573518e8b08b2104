#include "textflag.h"

// Query index offsets of the 16 lanes.
DATA attnIota<>+0(SB)/4, $0
DATA attnIota<>+4(SB)/4, $1
DATA attnIota<>+8(SB)/4, $2
DATA attnIota<>+12(SB)/4, $3
DATA attnIota<>+16(SB)/4, $4
DATA attnIota<>+20(SB)/4, $5
DATA attnIota<>+24(SB)/4, $6
DATA attnIota<>+28(SB)/4, $7
DATA attnIota<>+32(SB)/4, $8
DATA attnIota<>+36(SB)/4, $9
DATA attnIota<>+40(SB)/4, $10
DATA attnIota<>+44(SB)/4, $11
DATA attnIota<>+48(SB)/4, $12
DATA attnIota<>+52(SB)/4, $13
DATA attnIota<>+56(SB)/4, $14
DATA attnIota<>+60(SB)/4, $15
GLOBL attnIota<>(SB), RODATA|NOPTR, $64

// EXPM replaces Z0 with e^Z0 lane-wise for Z0 ≤ 0, as expNeg does: lanes not
// above -87.33 (including -Inf and NaN, i.e. masked scores) give exactly 0.
// n = round(x·log2e), r = x − n·ln2 (two-part ln2), degree-7 Taylor
// polynomial in r, times 2ⁿ by VSCALEFPS. Uses Z1, Z2, K2 and the constants
// in Z17..Z27.
#define EXPM \
	VCMPPS $0x1e, Z18, Z0, K2; \
	VMULPS Z17, Z0, Z1; VRNDSCALEPS $0, Z1, Z1; \
	VFNMADD231PS Z19, Z1, Z0; VFNMADD231PS Z20, Z1, Z0; \
	VMOVAPS Z21, Z2; VFMADD213PS Z22, Z0, Z2; VFMADD213PS Z23, Z0, Z2; \
	VFMADD213PS Z24, Z0, Z2; VFMADD213PS Z25, Z0, Z2; VFMADD213PS Z26, Z0, Z2; \
	VFMADD213PS Z27, Z0, Z2; VFMADD213PS Z27, Z0, Z2; \
	VSCALEFPS.Z Z1, Z2, K2, Z0

// func softmaxStripAVX512(s *float32, nk, ld int, m *float32, l *float64, o *float32, dpad int, scale float32, qi0, kj0, window int, masked bool)
// softmaxStripGo for 16 lanes; ld is in bytes here.
TEXT ·softmaxStripAVX512(SB), NOSPLIT, $0-89
	MOVQ s+0(FP), DI
	MOVQ nk+8(FP), CX
	MOVQ ld+16(FP), SI
	MOVQ m+24(FP), R8
	MOVQ l+32(FP), R9
	MOVQ o+40(FP), R10
	MOVQ dpad+48(FP), R11
	VBROADCASTSS scale+56(FP), Z16
	MOVL $0x3fb8aa3b, AX; VPBROADCASTD AX, Z17 // 1.4426950408889634
	MOVL $0xc2aea8f6, AX; VPBROADCASTD AX, Z18 // -87.33
	MOVL $0x3f317200, AX; VPBROADCASTD AX, Z19 // 0.693145751953125
	MOVL $0x35bfbe8e, AX; VPBROADCASTD AX, Z20 // 1.4286068203094173e-06
	MOVL $0x39500d01, AX; VPBROADCASTD AX, Z21 // 1/5040
	MOVL $0x3ab60b61, AX; VPBROADCASTD AX, Z22 // 1/720
	MOVL $0x3c088889, AX; VPBROADCASTD AX, Z23 // 1/120
	MOVL $0x3d2aaaab, AX; VPBROADCASTD AX, Z24 // 1/24
	MOVL $0x3e2aaaab, AX; VPBROADCASTD AX, Z25 // 1/6
	MOVL $0x3f000000, AX; VPBROADCASTD AX, Z26 // 0.5
	MOVL $0x3f800000, AX; VPBROADCASTD AX, Z27 // 1.0
	MOVL $0xff800000, AX; VPBROADCASTD AX, Z15 // -Inf

	// Pass 1: scale (and mask) the scores, running max in Z4.
	VMOVUPS (R8), Z3
	VMOVAPS Z3, Z4
	MOVQ DI, AX
	MOVQ CX, BX
	MOVBLZX masked+88(FP), DX
	TESTL DX, DX
	JNZ masked
plain:
	VMULPS (AX), Z16, Z0
	VMOVUPS Z0, (AX)
	VMAXPS Z0, Z4, Z4
	ADDQ SI, AX
	DECQ BX
	JNZ plain
	JMP maxdone
masked:
	// Z28: query index per lane, Z29: key index of the row, Z30: window.
	// A key is visible iff query − key, as unsigned, is below the window.
	MOVQ qi0+64(FP), DX
	VPBROADCASTD DX, Z28
	VPADDD attnIota<>(SB), Z28, Z28
	MOVQ kj0+72(FP), DX
	VPBROADCASTD DX, Z29
	MOVQ window+80(FP), DX
	VPBROADCASTD DX, Z30
	MOVL $1, DX
	VPBROADCASTD DX, Z31
maskloop:
	VMULPS (AX), Z16, Z0
	VPSUBD Z29, Z28, Z5
	VPCMPUD $1, Z30, Z5, K1
	VBLENDMPS Z0, Z15, K1, Z0
	VMOVUPS Z0, (AX)
	VMAXPS Z0, Z4, Z4
	VPADDD Z31, Z29, Z29
	ADDQ SI, AX
	DECQ BX
	JNZ maskloop
maxdone:
	VMOVUPS Z4, (R8)
	// corr = e^(mOld − mNew) in Z5 (0 where both are -Inf).
	VSUBPS Z4, Z3, Z0
	EXPM
	VMOVAPS Z0, Z5

	// Pass 2: probabilities e^(score − mNew), their sum in Z6.
	VPXORD Z6, Z6, Z6
	MOVQ DI, AX
	MOVQ CX, BX
exploop:
	VMOVUPS (AX), Z0
	VSUBPS Z4, Z0, Z0
	EXPM
	VMOVUPS Z0, (AX)
	VADDPS Z0, Z6, Z6
	ADDQ SI, AX
	DECQ BX
	JNZ exploop

	// l = l·corr + sum, in float64.
	VCVTPS2PD Y5, Z7
	VEXTRACTF64X4 $1, Z5, Y8 // the same 256 bits as VEXTRACTF32X8, in AVX512F
	VCVTPS2PD Y8, Z8
	VCVTPS2PD Y6, Z9
	VEXTRACTF64X4 $1, Z6, Y10
	VCVTPS2PD Y10, Z10
	VMOVUPD (R9), Z11
	VFMADD213PD Z9, Z7, Z11
	VMOVUPD Z11, (R9)
	VMOVUPD 64(R9), Z12
	VFMADD213PD Z10, Z8, Z12
	VMOVUPD Z12, 64(R9)

	// Rescale the partial output unless corr is 1 in every lane.
	VCMPPS $4, Z27, Z5, K3
	KORTESTW K3, K3
	JZ done
	TESTQ R11, R11
	JZ done
oloop:
	VMULPS (R10), Z5, Z0
	VMOVUPS Z0, (R10)
	ADDQ SI, R10
	DECQ R11
	JNZ oloop
done:
	VZEROUPPER
	RET
