package gguf

import (
	"encoding/binary"

	"github.com/qfilters/qfilters/kernels"
)

// The 1-bit i-quants IQ1_S and IQ1_M: groups of 8 elements are points of
// ggml's iq1s_grid (iqgrids.go: bytes -1, 0, 1) shifted by ±1/8, as
// dequantize_row_iq1_s and dequantize_row_iq1_m compute them.

const iq1Delta = 0.125

// iq1Group writes dl·(grid + delta) for the 8 signed grid bytes of g.
func iq1Group(y []float32, dl float32, g uint64, delta float32) {
	for j := 0; j < 8; j++ {
		y[j] = dl * (float32(int8(g>>uint(8*j))) + delta)
	}
}

func iq1DeltaOf(negative bool) float32 {
	if negative {
		return -iq1Delta
	}
	return iq1Delta
}

// IQ1_S: d (f16), 32 bytes of grid index low bits, then per 32 elements a
// u16: four 3-bit index high parts, a 3-bit scale, the delta's sign.
func dequantIQ1_S(dst []float32, src []byte) {
	d := f16(src)
	qs := src[2:34]
	for ib := 0; ib < 8; ib++ {
		qh := binary.LittleEndian.Uint16(src[34+2*ib:])
		dl := d * float32(2*int(qh>>12&7)+1)
		delta := iq1DeltaOf(qh&0x8000 != 0)
		for l := 0; l < 4; l++ {
			idx := int(qs[4*ib+l]) | int(qh>>uint(3*l)&7)<<8
			iq1Group(dst[32*ib+8*l:], dl, iq1sGrid[idx], delta)
		}
	}
}

// IQ1_M: 32 bytes of grid index low bits, 16 bytes (two per 32 elements)
// of 3-bit index high parts and delta signs, then four u16 holding 3-bit
// scales (two per 32 elements) and, in their top nibbles, the f16 d.
func dequantIQ1_M(dst []float32, src []byte) {
	qs, qh := src[0:32], src[32:48]
	var sc [4]uint16
	for i := range sc {
		sc[i] = binary.LittleEndian.Uint16(src[48+2*i:])
	}
	d := kernels.F16ToF32(sc[0]>>12 | sc[1]>>8&0x00F0 | sc[2]>>4&0x0F00 | sc[3]&0xF000)
	for ib := 0; ib < 8; ib++ {
		s := sc[ib/2] >> uint(6*(ib%2))
		dl := [2]float32{d * float32(2*int(s&7)+1), d * float32(2*int(s>>3&7)+1)}
		h0, h1 := int(qh[2*ib]), int(qh[2*ib+1])
		idx := [4]int{
			int(qs[4*ib]) | h0<<8&0x700, int(qs[4*ib+1]) | h0<<4&0x700,
			int(qs[4*ib+2]) | h1<<8&0x700, int(qs[4*ib+3]) | h1<<4&0x700,
		}
		delta := [4]float32{
			iq1DeltaOf(h0&0x08 != 0), iq1DeltaOf(h0&0x80 != 0),
			iq1DeltaOf(h1&0x08 != 0), iq1DeltaOf(h1&0x80 != 0),
		}
		for l := 0; l < 4; l++ {
			iq1Group(dst[32*ib+8*l:], dl[l/2], iq1sGrid[idx[l]], delta[l])
		}
	}
}
