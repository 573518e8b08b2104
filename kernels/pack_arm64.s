#include "textflag.h"

// 4x4 transposes of 32-bit words for packing B panels on the NEON path, the
// contract of the amd64 ones (pack_amd64.s) with 4-word blocks: for each of
// nblk blocks, word c of row r (4 words at src + r·lds) goes to
// dst + c·ldd + 4r; blocks follow each other 16 bytes on in src (8 for
// bfloat16, widened to float32 by SHLL #16), 4 rows on in dst. TRN1/TRN2 on
// words, then on doublewords, leave column c in V(4+c). Written by
// asmgen/pack_arm64.py (the NEON instructions as WORDs, encoded by llvm-mc).

// func transpose32x4NEON(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)
TEXT ·transpose32x4NEON(SB), NOSPLIT, $0-40
	MOVD dst+0(FP), R0
	MOVD ldd+8(FP), R1
	MOVD src+16(FP), R2
	MOVD lds+24(FP), R3
	MOVD nblk+32(FP), R4
	CBZ R4, done
loop:
	MOVD R2, R5
	VLD1 (R5), [V0.S4]
	ADD R3, R5, R5
	VLD1 (R5), [V1.S4]
	ADD R3, R5, R5
	VLD1 (R5), [V2.S4]
	ADD R3, R5, R5
	VLD1 (R5), [V3.S4]
	WORD $0x4e812808 // trn1 v8.4s, v0.4s, v1.4s
	WORD $0x4e816809 // trn2 v9.4s, v0.4s, v1.4s
	WORD $0x4e83284a // trn1 v10.4s, v2.4s, v3.4s
	WORD $0x4e83684b // trn2 v11.4s, v2.4s, v3.4s
	WORD $0x4eca2904 // trn1 v4.2d, v8.2d, v10.2d
	WORD $0x4ecb2925 // trn1 v5.2d, v9.2d, v11.2d
	WORD $0x4eca6906 // trn2 v6.2d, v8.2d, v10.2d
	WORD $0x4ecb6927 // trn2 v7.2d, v9.2d, v11.2d
	VST1 [V4.S4], (R0)
	ADD R1, R0, R0
	VST1 [V5.S4], (R0)
	ADD R1, R0, R0
	VST1 [V6.S4], (R0)
	ADD R1, R0, R0
	VST1 [V7.S4], (R0)
	ADD R1, R0, R0
	ADD $16, R2, R2
	SUBS $1, R4, R4
	BNE loop
done:
	RET

// func transposeBF16x4NEON(dst *float32, ldd int, src unsafe.Pointer, lds, nblk int)
TEXT ·transposeBF16x4NEON(SB), NOSPLIT, $0-40
	MOVD dst+0(FP), R0
	MOVD ldd+8(FP), R1
	MOVD src+16(FP), R2
	MOVD lds+24(FP), R3
	MOVD nblk+32(FP), R4
	CBZ R4, done
loop:
	MOVD R2, R5
	VLD1 (R5), [V0.H4]
	WORD $0x2e613800 // shll v0.4s, v0.4h, #16
	ADD R3, R5, R5
	VLD1 (R5), [V1.H4]
	WORD $0x2e613821 // shll v1.4s, v1.4h, #16
	ADD R3, R5, R5
	VLD1 (R5), [V2.H4]
	WORD $0x2e613842 // shll v2.4s, v2.4h, #16
	ADD R3, R5, R5
	VLD1 (R5), [V3.H4]
	WORD $0x2e613863 // shll v3.4s, v3.4h, #16
	WORD $0x4e812808 // trn1 v8.4s, v0.4s, v1.4s
	WORD $0x4e816809 // trn2 v9.4s, v0.4s, v1.4s
	WORD $0x4e83284a // trn1 v10.4s, v2.4s, v3.4s
	WORD $0x4e83684b // trn2 v11.4s, v2.4s, v3.4s
	WORD $0x4eca2904 // trn1 v4.2d, v8.2d, v10.2d
	WORD $0x4ecb2925 // trn1 v5.2d, v9.2d, v11.2d
	WORD $0x4eca6906 // trn2 v6.2d, v8.2d, v10.2d
	WORD $0x4ecb6927 // trn2 v7.2d, v9.2d, v11.2d
	VST1 [V4.S4], (R0)
	ADD R1, R0, R0
	VST1 [V5.S4], (R0)
	ADD R1, R0, R0
	VST1 [V6.S4], (R0)
	ADD R1, R0, R0
	VST1 [V7.S4], (R0)
	ADD R1, R0, R0
	ADD $8, R2, R2
	SUBS $1, R4, R4
	BNE loop
done:
	RET
