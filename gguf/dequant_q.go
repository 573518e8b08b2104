package gguf

import (
	"encoding/binary"
	"math"
)

// The 32-element legacy types beside Q4_0 and Q8_0 (dequant.go), and the
// 1- and 2-bit Q1_0 and Q2_0, as ggml's dequantize_row_* compute them.

// Q4_1: d, m (f16), 16 bytes of nibbles (low nibble j, high nibble j+16);
// x = q·d + m.
func dequantQ4_1(dst []float32, src []byte) {
	d, m := f16(src[0:]), f16(src[2:])
	for j, b := range src[4:20] {
		dst[j] = float32(float32(b&0x0F)*d) + m
		dst[j+16] = float32(float32(b>>4)*d) + m
	}
}

// q5High returns the fifth bits of elements j and j+16 from the 32-bit qh.
func q5High(qh uint32, j int) (uint8, uint8) {
	return uint8(qh>>uint(j)<<4) & 0x10, uint8(qh>>uint(j+12)) & 0x10
}

// Q5_0: d (f16), qh (32 fifth bits), 16 bytes of nibbles; x = (q-16)·d.
func dequantQ5_0(dst []float32, src []byte) {
	d := f16(src)
	qh := binary.LittleEndian.Uint32(src[2:])
	for j, b := range src[6:22] {
		h0, h1 := q5High(qh, j)
		dst[j] = float32(int(b&0x0F|h0)-16) * d
		dst[j+16] = float32(int(b>>4|h1)-16) * d
	}
}

// Q5_1: d, m (f16), qh, 16 bytes of nibbles; x = q·d + m.
func dequantQ5_1(dst []float32, src []byte) {
	d, m := f16(src[0:]), f16(src[2:])
	qh := binary.LittleEndian.Uint32(src[4:])
	for j, b := range src[8:24] {
		h0, h1 := q5High(qh, j)
		dst[j] = float32(float32(b&0x0F|h0)*d) + m
		dst[j+16] = float32(float32(b>>4|h1)*d) + m
	}
}

// Q1_0: d (f16), 128 bits (bit j%8 of byte j/8); x = d where the bit is
// set, -d where not (a flip of d's sign bit).
func dequantQ1_0(dst []float32, src []byte) {
	bits := math.Float32bits(f16(src))
	for j := range dst[:128] {
		dst[j] = math.Float32frombits(bits ^ uint32(^src[2+j/8]>>uint(j%8)&1)<<31)
	}
}

// Q2_0: d (f16), 64 2-bit codes (four per byte, low bits first);
// x = (q-1)·d.
func dequantQ2_0(dst []float32, src []byte) {
	d := f16(src)
	for j := range dst[:64] {
		q := src[2+j/4] >> uint(2*(j%4)) & 3
		dst[j] = float32(int(q)-1) * d
	}
}
