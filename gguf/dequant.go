package gguf

import (
	"encoding/binary"
	"math"

	"github.com/qfilters/qfilters/kernels"
)

// Block dequantizers, following the layouts of ggml's dequantize_row_* and
// gguf-py's quants.py. Products are rounded to float32 one at a time, as the
// reference computes them: the explicit float32 conversions stop the compiler
// from fusing a multiply and a subtract into one FMA, which would round once
// and give different bits.

func f16(b []byte) float32 { return kernels.F16ToF32(binary.LittleEndian.Uint16(b)) }

func dequantF32(dst []float32, src []byte) {
	dst[0] = math.Float32frombits(binary.LittleEndian.Uint32(src))
}

func dequantF16(dst []float32, src []byte) { dst[0] = f16(src) }

func dequantBF16(dst []float32, src []byte) {
	dst[0] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src)) << 16)
}

// Q8_0: d (f16), 32 int8 quants; x = q·d.
func dequantQ8_0(dst []float32, src []byte) {
	d := f16(src)
	for i, q := range src[2:34] {
		dst[i] = float32(int8(q)) * d
	}
}

// Q4_0: d (f16), 16 bytes; element j is the low nibble of byte j, element
// j+16 the high nibble, both offset by 8.
func dequantQ4_0(dst []float32, src []byte) {
	d := f16(src)
	for j, b := range src[2:18] {
		dst[j] = float32(int(b&0x0F)-8) * d
		dst[j+16] = float32(int(b>>4)-8) * d
	}
}

// scaleMinK4 unpacks the 6-bit scale and min of sub-block j (0..7) from the
// 12 packed bytes of Q4_K and Q5_K (ggml's get_scale_min_k4).
func scaleMinK4(j int, q []byte) (sc, m uint8) {
	if j < 4 {
		return q[j] & 63, q[j+4] & 63
	}
	sc = (q[j+4] & 0x0F) | ((q[j-4] >> 6) << 4)
	m = (q[j+4] >> 4) | ((q[j] >> 6) << 4)
	return sc, m
}

// Q4_K: d, dmin (f16), 12 bytes of scales and mins, 128 bytes of nibbles.
// Each 32-byte chunk holds two sub-blocks of 32: low nibbles, then high.
// x = (d·sc)·q - dmin·m.
func dequantQ4_K(dst []float32, src []byte) {
	d, dmin := f16(src[0:]), f16(src[2:])
	scales, qs := src[4:16], src[16:144]
	for j := 0; j < 8; j++ {
		sc, m := scaleMinK4(j, scales)
		d1, m1 := float32(d*float32(sc)), float32(dmin*float32(m))
		chunk, shift := qs[(j/2)*32:(j/2)*32+32], uint(4*(j%2))
		out := dst[j*32 : j*32+32]
		for i, b := range chunk {
			out[i] = float32(d1*float32((b>>shift)&0x0F)) - m1
		}
	}
}

// Q5_K: as Q4_K with a fifth bit per element from 32 bytes of high bits:
// bit j of qh[i] belongs to element i of sub-block j.
func dequantQ5_K(dst []float32, src []byte) {
	d, dmin := f16(src[0:]), f16(src[2:])
	scales, qh, qs := src[4:16], src[16:48], src[48:176]
	for j := 0; j < 8; j++ {
		sc, m := scaleMinK4(j, scales)
		d1, m1 := float32(d*float32(sc)), float32(dmin*float32(m))
		chunk, shift := qs[(j/2)*32:(j/2)*32+32], uint(4*(j%2))
		out := dst[j*32 : j*32+32]
		for i, b := range chunk {
			q := (b>>shift)&0x0F | ((qh[i]>>uint(j))&1)<<4
			out[i] = float32(d1*float32(q)) - m1
		}
	}
}

// Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 int8 scales
// (one per 16 elements), d (f16). Each half of 128 elements takes 64 bytes
// of ql and 32 of qh; x = (d·scale)·(q - 32).
func dequantQ6_K(dst []float32, src []byte) {
	ql, qh, sc := src[0:128], src[128:192], src[192:208]
	d := f16(src[208:])
	for half := 0; half < 2; half++ {
		l, h, s, y := ql[half*64:], qh[half*32:], sc[half*8:], dst[half*128:]
		for i := 0; i < 32; i++ {
			is := i / 16
			q1 := int(l[i]&0x0F|(h[i]>>0&3)<<4) - 32
			q2 := int(l[i+32]&0x0F|(h[i]>>2&3)<<4) - 32
			q3 := int(l[i]>>4|(h[i]>>4&3)<<4) - 32
			q4 := int(l[i+32]>>4|(h[i]>>6&3)<<4) - 32
			y[i] = float32(d*float32(int8(s[is]))) * float32(q1)
			y[i+32] = float32(d*float32(int8(s[is+2]))) * float32(q2)
			y[i+64] = float32(d*float32(int8(s[is+4]))) * float32(q3)
			y[i+96] = float32(d*float32(int8(s[is+6]))) * float32(q4)
		}
	}
}
