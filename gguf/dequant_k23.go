package gguf

import "encoding/binary"

// Q2_K and Q3_K: 16 sub-blocks of 16 (the K-quants of dequant.go have 8 of
// 32), as ggml's dequantize_row_q2_K and dequantize_row_q3_K compute them.

// Q2_K: 16 bytes of 4-bit scale and min pairs, 64 bytes of 2-bit codes,
// d, dmin (f16). Each half of 128 elements takes 32 bytes of codes: shift
// 2g of byte i holds element 32g+i. x = (d·sc)·q - dmin·m.
func dequantQ2_K(dst []float32, src []byte) {
	scales, qs := src[0:16], src[16:80]
	d, dmin := f16(src[80:]), f16(src[82:])
	is := 0
	for half := 0; half < 2; half++ {
		q := qs[32*half : 32*half+32]
		for g := 0; g < 4; g++ {
			shift := uint(2 * g)
			for k := 0; k < 2; k++ {
				sc := scales[is]
				is++
				dl, ml := float32(d*float32(sc&0x0F)), float32(dmin*float32(sc>>4))
				y := dst[128*half+32*g+16*k:]
				for l, b := range q[16*k : 16*k+16] {
					y[l] = float32(dl*float32(b>>shift&3)) - ml
				}
			}
		}
	}
}

// q3KScales unpacks Q3_K's 16 6-bit scales from 12 bytes (ggml's kmask
// shuffle): low 4 bits from bytes 0-7, high 2 bits from bytes 8-11.
func q3KScales(b []byte) [16]int {
	le := binary.LittleEndian
	a0, a1, tmp := le.Uint32(b[0:]), le.Uint32(b[4:]), le.Uint32(b[8:])
	const m1, m2 = 0x03030303, 0x0f0f0f0f
	aux := [4]uint32{
		a0&m2 | (tmp>>0&m1)<<4,
		a1&m2 | (tmp>>2&m1)<<4,
		a0>>4&m2 | (tmp>>4&m1)<<4,
		a1>>4&m2 | (tmp>>6&m1)<<4,
	}
	var s [16]int
	for i := range s {
		s[i] = int(int8(aux[i/4] >> uint(8*(i%4))))
	}
	return s
}

// Q3_K: 32 bytes of high bits (hmask), 64 bytes of 2-bit codes, 12 bytes
// of scales, d (f16). Element 32g+i of each half: low bits at shift 2g of
// byte i, high bit g (+4 per half) of hmask[i]; a clear high bit
// subtracts 4. x = (d·(sc-32))·q.
func dequantQ3_K(dst []float32, src []byte) {
	hm, qs := src[0:32], src[32:96]
	sc := q3KScales(src[96:108])
	d := f16(src[108:])
	is := 0
	for half := 0; half < 2; half++ {
		q := qs[32*half : 32*half+32]
		for g := 0; g < 4; g++ {
			shift, m := uint(2*g), byte(1)<<uint(4*half+g)
			for k := 0; k < 2; k++ {
				dl := d * float32(sc[is]-32)
				is++
				y := dst[128*half+32*g+16*k:]
				for l := 16 * k; l < 16*k+16; l++ {
					v := int(q[l] >> shift & 3)
					if hm[l]&m == 0 {
						v -= 4
					}
					y[l-16*k] = dl * float32(v)
				}
			}
		}
	}
}
