package gguf

import "encoding/binary"

// The non-linear 4-bit IQ4_NL and IQ4_XS: codes index ggml's kvalues_iq4nl
// (iqgrids.go), as dequantize_row_iq4_nl and dequantize_row_iq4_xs do.

// IQ4_NL: d (f16), 16 bytes of codes (low nibble j, high nibble j+16).
func dequantIQ4_NL(dst []float32, src []byte) {
	d := f16(src)
	for j, b := range src[2:18] {
		dst[j] = d * float32(kvaluesIq4nl[b&0x0F])
		dst[j+16] = d * float32(kvaluesIq4nl[b>>4])
	}
}

// IQ4_XS: d (f16), the high 2 bits of 8 6-bit scales (u16), their low 4
// bits (4 bytes), 128 bytes of codes, 16 per 32 elements laid out as IQ4_NL;
// x = (d·(ls-32))·kvalue.
func dequantIQ4_XS(dst []float32, src []byte) {
	d := f16(src)
	sh, sl, qs := binary.LittleEndian.Uint16(src[2:]), src[4:8], src[8:136]
	for ib := 0; ib < 8; ib++ {
		ls := int(sl[ib/2]>>uint(4*(ib%2))&0x0F) | int(sh>>uint(2*ib)&3)<<4
		dl := d * float32(ls-32)
		y := dst[32*ib:]
		for j, b := range qs[16*ib : 16*ib+16] {
			y[j] = dl * float32(kvaluesIq4nl[b&0x0F])
			y[j+16] = dl * float32(kvaluesIq4nl[b>>4])
		}
	}
}
