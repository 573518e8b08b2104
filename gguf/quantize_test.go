package gguf

import (
	"encoding/binary"
	"math"
)

// Test-side quantizers (any reasonable ones: what matters is that the bytes
// follow each format) and an independent dequantizer written element by
// element from the format description, to check dequant.go against.

// f16Bits rounds to the nearest half float, ties to even.
func f16Bits(f float32) uint16 {
	sign := uint16(0)
	a := float64(f)
	if a < 0 || (a == 0 && math.Signbit(a)) {
		sign, a = 0x8000, -a
	}
	if a < 0x1p-14 { // subnormal: multiples of 2^-24
		return sign | uint16(math.RoundToEven(a/0x1p-24))
	}
	frac, exp := math.Frexp(a) // a = frac·2^exp, frac in [0.5, 1)
	e := exp - 1
	q := math.RoundToEven((frac*2 - 1) * 1024)
	if q == 1024 {
		e, q = e+1, 0
	}
	if e > 15 {
		return sign | 0x7C00
	}
	return sign | uint16(e+15)<<10 | uint16(q)
}

// f16Value decodes a half float from its fields.
func f16Value(h uint16) float32 {
	e, m := int(h>>10&0x1F), float64(h&0x3FF)
	var v float64
	switch e {
	case 0:
		v = m * 0x1p-24
	case 31:
		v = math.Inf(1)
	default:
		v = math.Ldexp(1+m/1024, e-15)
	}
	if h&0x8000 != 0 {
		v = -v
	}
	return float32(v)
}

func bf16Bits(f float32) uint16 {
	b := math.Float32bits(f)
	return uint16((b + 0x7FFF + (b >> 16 & 1)) >> 16)
}

func putF16(dst []byte, v float32) float32 {
	h := f16Bits(v)
	binary.LittleEndian.PutUint16(dst, h)
	return f16Value(h)
}

func clampRound(x float32, lo, hi int) int {
	r := int(math.Round(float64(x)))
	return min(max(r, lo), hi)
}

func absMax(x []float32) float32 {
	var m float32
	for _, v := range x {
		m = max(m, float32(math.Abs(float64(v))))
	}
	return m
}

// Quantize encodes float32 values (a whole number of blocks) as typ.
func Quantize(typ Type, x []float32) []byte {
	bs, bb := typ.BlockSize(), typ.BlockBytes()
	out := make([]byte, len(x)/bs*bb)
	for i := 0; i < len(x)/bs; i++ {
		blk, dst := x[i*bs:(i+1)*bs], out[i*bb:(i+1)*bb]
		switch typ {
		case F32:
			binary.LittleEndian.PutUint32(dst, math.Float32bits(blk[0]))
		case F16:
			binary.LittleEndian.PutUint16(dst, f16Bits(blk[0]))
		case BF16:
			binary.LittleEndian.PutUint16(dst, bf16Bits(blk[0]))
		case Q8_0:
			d := putF16(dst, absMax(blk)/127)
			for j, v := range blk {
				q := 0
				if d != 0 {
					q = clampRound(v/d, -127, 127)
				}
				dst[2+j] = byte(int8(q))
			}
		case Q4_0:
			quantQ4_0(dst, blk)
		case Q4_K, Q5_K:
			quantK45(typ, dst, blk)
		case Q6_K:
			quantQ6_K(dst, blk)
		case Q5_0:
			quantQ5_0(dst, blk)
		}
	}
	return out
}

// quantQ4_0 as gguf-py does: the signed extreme maps to -8.
func quantQ4_0(dst []byte, blk []float32) {
	var mx float32
	for _, v := range blk {
		if math.Abs(float64(v)) > math.Abs(float64(mx)) {
			mx = v
		}
	}
	d := putF16(dst, mx/-8)
	for j := 0; j < 16; j++ {
		var q [2]int
		for h := 0; h < 2; h++ {
			if d != 0 {
				q[h] = min(max(int(math.Trunc(float64(blk[j+16*h]/d)+8.5)), 0), 15)
			}
		}
		dst[2+j] = byte(q[0] | q[1]<<4)
	}
}

// quantK45: 8 sub-blocks of 32, each with a 6-bit scale and min over the
// super-block's d and dmin; 4-bit (Q4_K) or 5-bit (Q5_K) values.
func quantK45(typ Type, dst []byte, blk []float32) {
	levels := 15
	if typ == Q5_K {
		levels = 31
	}
	var scale, mn [8]float32
	var maxScale, maxMin float32
	for j := 0; j < 8; j++ {
		sub := blk[j*32 : j*32+32]
		lo, hi := float32(0), sub[0]
		for _, v := range sub {
			lo, hi = min(lo, v), max(hi, v)
		}
		scale[j], mn[j] = (hi-lo)/float32(levels), -lo
		maxScale, maxMin = max(maxScale, scale[j]), max(maxMin, mn[j])
	}
	d := putF16(dst[0:], maxScale/63)
	dmin := putF16(dst[2:], maxMin/63)
	var sc, m [8]int
	for j := range sc {
		if d != 0 {
			sc[j] = clampRound(scale[j]/d, 0, 63)
		}
		if dmin != 0 {
			m[j] = clampRound(mn[j]/dmin, 0, 63)
		}
	}
	s := dst[4:16]
	for j := 0; j < 4; j++ {
		s[j] = byte(sc[j]&63 | (sc[j+4]>>4)<<6)
		s[j+4] = byte(m[j]&63 | (m[j+4]>>4)<<6)
		s[j+8] = byte(sc[j+4]&15 | (m[j+4]&15)<<4)
	}
	qs, qh := dst[16:144], []byte(nil)
	if typ == Q5_K {
		qh, qs = dst[16:48], dst[48:176]
	}
	for e, v := range blk {
		j, i := e/32, e%32
		q := 0
		if step := d * float32(sc[j]); step != 0 {
			q = clampRound((v+dmin*float32(m[j]))/step, 0, levels)
		}
		qs[(j/2)*32+i] |= byte(q&15) << (4 * (j % 2))
		if qh != nil {
			qh[i] |= byte(q>>4) << j
		}
	}
}

// quantQ6_K: 16 sub-blocks of 16 with int8 scales; 6-bit values offset 32.
func quantQ6_K(dst []byte, blk []float32) {
	var scale [16]float32
	var maxScale float32
	for j := range scale {
		scale[j] = absMax(blk[j*16:j*16+16]) / 31
		maxScale = max(maxScale, scale[j])
	}
	d := putF16(dst[208:], maxScale/127)
	for j := range scale {
		s := 0
		if d != 0 {
			s = clampRound(scale[j]/d, -128, 127)
		}
		dst[192+j] = byte(int8(s))
	}
	ql, qh := dst[0:128], dst[128:192]
	for e, v := range blk {
		half, g, i := e/128, e%128/32, e%32
		q := 0
		if step := d * float32(int8(dst[192+e/16])); step != 0 {
			q = clampRound(v/step, -32, 31)
		}
		q += 32
		ql[half*64+(g%2)*32+i] |= byte(q&15) << (4 * (g / 2))
		qh[half*32+i] |= byte(q>>4) << (2 * g)
	}
}

// SpecDequantize decodes typ element by element, as the format describes
// it, independently of dequant.go.
func SpecDequantize(typ Type, raw []byte, n int) []float32 {
	bs, bb := typ.BlockSize(), typ.BlockBytes()
	out := make([]float32, n)
	le := binary.LittleEndian
	for e := range out {
		b := raw[e/bs*bb : e/bs*bb+bb]
		k := e % bs
		switch typ {
		case F32:
			out[e] = math.Float32frombits(le.Uint32(b))
		case F16:
			out[e] = f16Value(le.Uint16(b))
		case BF16:
			out[e] = math.Float32frombits(uint32(le.Uint16(b)) << 16)
		case Q8_0:
			out[e] = float32(int8(b[2+k])) * f16Value(le.Uint16(b))
		case Q4_0:
			nib := int(b[2+k%16]>>(4*(k/16))) & 15
			out[e] = float32(nib-8) * f16Value(le.Uint16(b))
		case Q4_K, Q5_K:
			d, dmin := f16Value(le.Uint16(b)), f16Value(le.Uint16(b[2:]))
			s := b[4:16]
			j, i := k/32, k%32
			var sc, m int
			if j < 4 {
				sc, m = int(s[j]&63), int(s[j+4]&63)
			} else {
				sc = int(s[j+4]&15) | int(s[j-4]>>6)<<4
				m = int(s[j+4]>>4) | int(s[j]>>6)<<4
			}
			qs := b[16:]
			if typ == Q5_K {
				qs = b[48:]
			}
			q := int(qs[(j/2)*32+i]>>(4*(j%2))) & 15
			if typ == Q5_K {
				q |= int(b[16+i]>>j&1) << 4
			}
			out[e] = float32(float32(d*float32(sc))*float32(q)) - float32(dmin*float32(m))
		case Q6_K:
			half, g, i := k/128, k%128/32, k%32
			lo := int(b[half*64+(g%2)*32+i]>>(4*(g/2))) & 15
			hi := int(b[128+half*32+i]>>(2*g)) & 3
			d := f16Value(le.Uint16(b[208:]))
			out[e] = float32(d*float32(int8(b[192+k/16]))) * float32(lo|hi<<4-32)
		}
	}
	return out
}
