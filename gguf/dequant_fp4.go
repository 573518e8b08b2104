package gguf

import "math"

// MXFP4 and NVFP4: 4-bit E2M1 codes (e2m1.go) under a block scale, as
// ggml's dequantize_row_mxfp4 and dequantize_row_nvfp4 compute them: the
// doubled E2M1 integer times half the scale.

// e8m0Half is half the E8M0 scale 2^(e-127): 2^(e-128), subnormal for
// e < 2 (ggml's ggml_e8m0_to_fp32_half; e = 255 is 2^127, not NaN).
func e8m0Half(e uint8) float32 {
	if e < 2 {
		return math.Float32frombits(0x00200000 << e)
	}
	return math.Float32frombits(uint32(e-1) << 23)
}

// MXFP4 (llama.cpp's layout): e (E8M0), 16 bytes of codes, low nibble j,
// high nibble j+16.
func dequantMXFP4(dst []float32, src []byte) {
	d := e8m0Half(src[0])
	for j, b := range src[1:17] {
		dst[j] = float32(E2M1Doubled[b&0x0F]) * d
		dst[j+16] = float32(E2M1Doubled[b>>4]) * d
	}
}

// ue4m3Half is half an unsigned E4M3 scale (ggml's ggml_ue4m3_to_fp32):
// 4 exponent bits (bias 7) and 3 mantissa bits; the top bit is ignored,
// and 0x00 and 0x7F give 0.
func ue4m3Half(x uint8) float32 {
	if x == 0 || x == 0x7F {
		return 0
	}
	exp, man := int(x>>3&0x0F), float64(x&7)
	if exp == 0 {
		return float32(math.Ldexp(man, -9)) * 0.5
	}
	return float32(math.Ldexp(1+man/8, exp-7)) * 0.5
}

// NVFP4: four UE4M3 scales, one per 16 elements, then 32 bytes of codes;
// within each 16, low nibble j and high nibble j+8.
func dequantNVFP4(dst []float32, src []byte) {
	for s := 0; s < 4; s++ {
		d := ue4m3Half(src[s])
		y := dst[16*s : 16*s+16]
		for j, b := range src[4+8*s : 12+8*s] {
			y[j] = float32(E2M1Doubled[b&0x0F]) * d
			y[j+8] = float32(E2M1Doubled[b>>4]) * d
		}
	}
}
