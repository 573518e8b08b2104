#include "textflag.h"

// 8x8 transposes of 32-bit words for packing B panels on the AVX2 path, the
// same contract as the AVX-512 16x16 ones (pack_amd64.s) with 8-word blocks.
// Rows are loaded into Y0..Y7; dword unpacks, then VSHUFPS within 128-bit
// lanes, then VPERM2F128 across them leave column j in Y(j).

// TRANSPOSE8: Y0..Y7 rows in, Y0..Y7 columns out; Y8..Y15 scratch.
#define TRANSPOSE8 \
	VUNPCKLPS Y1, Y0, Y8; \
	VUNPCKHPS Y1, Y0, Y9; \
	VUNPCKLPS Y3, Y2, Y10; \
	VUNPCKHPS Y3, Y2, Y11; \
	VUNPCKLPS Y5, Y4, Y12; \
	VUNPCKHPS Y5, Y4, Y13; \
	VUNPCKLPS Y7, Y6, Y14; \
	VUNPCKHPS Y7, Y6, Y15; \
	VSHUFPS $0x44, Y10, Y8, Y0; \
	VSHUFPS $0xee, Y10, Y8, Y1; \
	VSHUFPS $0x44, Y11, Y9, Y2; \
	VSHUFPS $0xee, Y11, Y9, Y3; \
	VSHUFPS $0x44, Y14, Y12, Y4; \
	VSHUFPS $0xee, Y14, Y12, Y5; \
	VSHUFPS $0x44, Y15, Y13, Y6; \
	VSHUFPS $0xee, Y15, Y13, Y7; \
	VPERM2F128 $0x20, Y4, Y0, Y8; \
	VPERM2F128 $0x20, Y5, Y1, Y9; \
	VPERM2F128 $0x20, Y6, Y2, Y10; \
	VPERM2F128 $0x20, Y7, Y3, Y11; \
	VPERM2F128 $0x31, Y4, Y0, Y12; \
	VPERM2F128 $0x31, Y5, Y1, Y13; \
	VPERM2F128 $0x31, Y6, Y2, Y14; \
	VPERM2F128 $0x31, Y7, Y3, Y15

// func transpose32x8AVX2(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)
// For each of nblk blocks: word c of row r (8 words at src + r·lds) goes to
// dst + c·ldd + 4r; blocks follow each other 32 bytes on in src, 8 rows on in dst.
TEXT ·transpose32x8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), DX
	MOVQ nblk+32(FP), CX
	TESTQ CX, CX
	JZ done
loop:
	MOVQ SI, AX
	VMOVUPS (AX), Y0
	ADDQ DX, AX
	VMOVUPS (AX), Y1
	ADDQ DX, AX
	VMOVUPS (AX), Y2
	ADDQ DX, AX
	VMOVUPS (AX), Y3
	ADDQ DX, AX
	VMOVUPS (AX), Y4
	ADDQ DX, AX
	VMOVUPS (AX), Y5
	ADDQ DX, AX
	VMOVUPS (AX), Y6
	ADDQ DX, AX
	VMOVUPS (AX), Y7
	ADDQ DX, AX
	TRANSPOSE8
	MOVQ DI, R8
	VMOVUPS Y8, (R8); ADDQ BX, R8
	VMOVUPS Y9, (R8); ADDQ BX, R8
	VMOVUPS Y10, (R8); ADDQ BX, R8
	VMOVUPS Y11, (R8); ADDQ BX, R8
	VMOVUPS Y12, (R8); ADDQ BX, R8
	VMOVUPS Y13, (R8); ADDQ BX, R8
	VMOVUPS Y14, (R8); ADDQ BX, R8
	VMOVUPS Y15, (R8); ADDQ BX, R8
	MOVQ R8, DI
	ADDQ $32, SI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET

// func transposeBF16x8AVX2(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)
// The same for 8 bfloat16 values per row (16 bytes), widened to float32.
TEXT ·transposeBF16x8AVX2(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), DX
	MOVQ nblk+32(FP), CX
	TESTQ CX, CX
	JZ done
loop:
	MOVQ SI, AX
	VPMOVZXWD (AX), Y0; VPSLLD $16, Y0, Y0
	ADDQ DX, AX
	VPMOVZXWD (AX), Y1; VPSLLD $16, Y1, Y1
	ADDQ DX, AX
	VPMOVZXWD (AX), Y2; VPSLLD $16, Y2, Y2
	ADDQ DX, AX
	VPMOVZXWD (AX), Y3; VPSLLD $16, Y3, Y3
	ADDQ DX, AX
	VPMOVZXWD (AX), Y4; VPSLLD $16, Y4, Y4
	ADDQ DX, AX
	VPMOVZXWD (AX), Y5; VPSLLD $16, Y5, Y5
	ADDQ DX, AX
	VPMOVZXWD (AX), Y6; VPSLLD $16, Y6, Y6
	ADDQ DX, AX
	VPMOVZXWD (AX), Y7; VPSLLD $16, Y7, Y7
	ADDQ DX, AX
	TRANSPOSE8
	MOVQ DI, R8
	VMOVUPS Y8, (R8); ADDQ BX, R8
	VMOVUPS Y9, (R8); ADDQ BX, R8
	VMOVUPS Y10, (R8); ADDQ BX, R8
	VMOVUPS Y11, (R8); ADDQ BX, R8
	VMOVUPS Y12, (R8); ADDQ BX, R8
	VMOVUPS Y13, (R8); ADDQ BX, R8
	VMOVUPS Y14, (R8); ADDQ BX, R8
	VMOVUPS Y15, (R8); ADDQ BX, R8
	MOVQ R8, DI
	ADDQ $16, SI
	DECQ CX
	JNZ loop
done:
	VZEROUPPER
	RET
