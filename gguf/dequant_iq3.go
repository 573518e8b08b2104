package gguf

import (
	"encoding/binary"
	"math"
)

// The 3-bit i-quants IQ3_XXS and IQ3_S: groups of 4 elements are points of
// a grid (iqgrids.go, one byte per element), with sign bits, as ggml's
// dequantize_row_iq3_xxs and dequantize_row_iq3_s compute them.

// signed4 writes 4 grid bytes of g times db, negating where bit j+off of
// signs is set (as signed8).
func signed4(y []float32, db float32, g uint32, signs uint8, off uint) {
	y = y[:4]
	for j := range y {
		v := float32(db * float32(uint8(g>>uint(8*j))))
		y[j] = math.Float32frombits(math.Float32bits(v) ^ uint32(signs>>(uint(j)+off)&1)<<31)
	}
}

// IQ3_XXS: d (f16), 64 bytes of grid indices, then per 32 elements a u32 of
// four 7-bit sign indices and a 4-bit scale in the top bits.
func dequantIQ3_XXS(dst []float32, src []byte) {
	d := f16(src)
	qs := src[2:66]
	for ib := 0; ib < 8; ib++ {
		a := binary.LittleEndian.Uint32(src[66+4*ib:])
		db := float32(d*(0.5+float32(a>>28))) * 0.5
		for l := 0; l < 4; l++ {
			signs := ksignsIq2xs[a>>uint(7*l)&127]
			y := dst[32*ib+8*l:]
			signed4(y[0:], db, iq3xxsGrid[qs[8*ib+2*l]], signs, 0)
			signed4(y[4:], db, iq3xxsGrid[qs[8*ib+2*l+1]], signs, 4)
		}
	}
}

// IQ3_S: d (f16), 64 bytes of grid index low bits, 8 bytes of their ninth
// bits, 32 sign bytes, 4 bytes of two 4-bit scales (one per 32 elements);
// x = (d·(1+2·s))·grid·(±1).
func dequantIQ3_S(dst []float32, src []byte) {
	d := f16(src)
	qs, qh, signs, scales := src[2:66], src[66:74], src[74:106], src[106:110]
	for ib := 0; ib < 8; ib++ {
		s := scales[ib/2] >> uint(4*(ib%2)) & 0x0F
		db := d * float32(1+2*int(s))
		h := int(qh[ib])
		for l := 0; l < 4; l++ {
			i1 := int(qs[8*ib+2*l]) | h<<uint(8-2*l)&256
			i2 := int(qs[8*ib+2*l+1]) | h<<uint(7-2*l)&256
			y := dst[32*ib+8*l:]
			signed4(y[0:], db, iq3sGrid[i1], signs[4*ib+l], 0)
			signed4(y[4:], db, iq3sGrid[i2], signs[4*ib+l], 4)
		}
	}
}
