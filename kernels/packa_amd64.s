#include "textflag.h"

// TRANSPOSE8A: Y0..Y7 rows in, Y8..Y15 columns out (as in pack_avx2_amd64.s);
// Y0..Y7 are clobbered.
#define TRANSPOSE8A \
	VPUNPCKLDQ Y1, Y0, Y8; \
	VPUNPCKHDQ Y1, Y0, Y9; \
	VPUNPCKLDQ Y3, Y2, Y10; \
	VPUNPCKHDQ Y3, Y2, Y11; \
	VPUNPCKLDQ Y5, Y4, Y12; \
	VPUNPCKHDQ Y5, Y4, Y13; \
	VPUNPCKLDQ Y7, Y6, Y14; \
	VPUNPCKHDQ Y7, Y6, Y15; \
	VPUNPCKLQDQ Y10, Y8, Y0; \
	VPUNPCKHQDQ Y10, Y8, Y1; \
	VPUNPCKLQDQ Y11, Y9, Y2; \
	VPUNPCKHQDQ Y11, Y9, Y3; \
	VPUNPCKLQDQ Y14, Y12, Y4; \
	VPUNPCKHQDQ Y14, Y12, Y5; \
	VPUNPCKLQDQ Y15, Y13, Y6; \
	VPUNPCKHQDQ Y15, Y13, Y7; \
	VPERM2I128 $0x20, Y4, Y0, Y8; \
	VPERM2I128 $0x20, Y5, Y1, Y9; \
	VPERM2I128 $0x20, Y6, Y2, Y10; \
	VPERM2I128 $0x20, Y7, Y3, Y11; \
	VPERM2I128 $0x31, Y4, Y0, Y12; \
	VPERM2I128 $0x31, Y5, Y1, Y13; \
	VPERM2I128 $0x31, Y6, Y2, Y14; \
	VPERM2I128 $0x31, Y7, Y3, Y15

// STORE6(y, x): the first 6 words of column y (x is its low half) to DI,
// then DI moves one 6-word step on.
#define STORE6(y, x) \
	VMOVUPS x, (DI); \
	VEXTRACTF128 $1, y, X0; \
	VMOVQ X0, 16(DI); \
	ADDQ $24, DI

// func packA6AVX2(dst *float32, src *float32, lds, nblk int)
// Packs 6 rows (8 words each per block, rows lds bytes apart) into an A
// micro-panel of width 6: for each of nblk blocks of 8 k steps, word c of
// row r goes to dst + 24c + 4r; blocks are 32 bytes apart in src.
// Y6 and Y7 (rows 6 and 7) hold whatever they held: their lanes are never
// stored.
TEXT ·packA6AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), DX
	MOVQ nblk+24(FP), CX
	TESTQ CX, CX
	JZ done
loop:
	MOVQ SI, AX
	VMOVUPS (AX), Y0; ADDQ DX, AX
	VMOVUPS (AX), Y1; ADDQ DX, AX
	VMOVUPS (AX), Y2; ADDQ DX, AX
	VMOVUPS (AX), Y3; ADDQ DX, AX
	VMOVUPS (AX), Y4; ADDQ DX, AX
	VMOVUPS (AX), Y5
	TRANSPOSE8A
	STORE6(Y8, X8)
	STORE6(Y9, X9)
	STORE6(Y10, X10)
	STORE6(Y11, X11)
	STORE6(Y12, X12)
	STORE6(Y13, X13)
	STORE6(Y14, X14)
	STORE6(Y15, X15)
	ADDQ $32, SI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET
