package gguf

import (
	"encoding/binary"
	"math"
)

// The 2-bit i-quants IQ2_XXS, IQ2_XS and IQ2_S: each group of 8 elements
// is a point of an E8-lattice grid (iqgrids.go, one byte per element) with
// 8 sign bits, as ggml's dequantize_row_iq2_* compute them.

// signed8 writes the 8 grid bytes of g times db, negating where the sign
// byte has bit j set: (db·grid)·(±1) as ggml computes it. The product is
// finite, so multiplying by -1 is flipping its sign bit (no branch on
// random bits).
func signed8(y []float32, db float32, g uint64, signs uint8) {
	y = y[:8]
	for j := range y {
		v := float32(db * float32(uint8(g>>uint(8*j))))
		y[j] = math.Float32frombits(math.Float32bits(v) ^ uint32(signs>>uint(j)&1)<<31)
	}
}

// iq2Scale is d·(0.5 + s)·0.25, rounded step by step.
func iq2Scale(d float32, s uint32) float32 {
	return float32(d*(0.5+float32(s))) * 0.25
}

// IQ2_XXS: d (f16), then per 32 elements two u32: four grid indices (bytes
// of the first), and in the second four 7-bit sign indices (into
// ksigns_iq2xs) and a 4-bit scale in the top bits.
func dequantIQ2_XXS(dst []float32, src []byte) {
	d := f16(src)
	for ib := 0; ib < 8; ib++ {
		a0 := binary.LittleEndian.Uint32(src[2+8*ib:])
		a1 := binary.LittleEndian.Uint32(src[6+8*ib:])
		db := iq2Scale(d, a1>>28)
		for l := 0; l < 4; l++ {
			g := iq2xxsGrid[uint8(a0>>uint(8*l))]
			signed8(dst[32*ib+8*l:], db, g, ksignsIq2xs[a1>>uint(7*l)&127])
		}
	}
}

// IQ2_XS: d (f16), 32 u16 (9-bit grid index, 7-bit sign index), 8 bytes
// of two 4-bit scales (one per 16 elements).
func dequantIQ2_XS(dst []float32, src []byte) {
	d := f16(src)
	for ib := 0; ib < 8; ib++ {
		sc := src[66+ib]
		db := [2]float32{iq2Scale(d, uint32(sc&0x0F)), iq2Scale(d, uint32(sc>>4))}
		for l := 0; l < 4; l++ {
			q := binary.LittleEndian.Uint16(src[2+2*(4*ib+l):])
			signed8(dst[32*ib+8*l:], db[l/2], iq2xsGrid[q&511], ksignsIq2xs[q>>9])
		}
	}
}

// IQ2_S: d (f16), 32 bytes of grid index low bits, 32 sign bytes, 8 bytes
// of index high bits (2 per group), 8 bytes of two 4-bit scales.
func dequantIQ2_S(dst []float32, src []byte) {
	d := f16(src)
	qs, signs, qh, scales := src[2:34], src[34:66], src[66:74], src[74:82]
	for ib := 0; ib < 8; ib++ {
		db := [2]float32{iq2Scale(d, uint32(scales[ib]&0x0F)), iq2Scale(d, uint32(scales[ib]>>4))}
		for l := 0; l < 4; l++ {
			idx := int(qs[4*ib+l]) | int(qh[ib])<<uint(8-2*l)&0x300
			signed8(dst[32*ib+8*l:], db[l/2], iq2sGrid[idx], signs[4*ib+l])
		}
	}
}
