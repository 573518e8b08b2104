package safetensors

import (
	"encoding/binary"
	"math"
)

// Float32 converts an F32, F16, BF16, FP8 (F8_E4M3, F8_E5M2 and their FNUZ
// variants) or F64 tensor to a new []float32. F16, BF16 and the FP8 types
// widen exactly (subnormals, infinities, NaN and -0 included: the bits
// torch's .float() gives); F64 rounds to nearest float32.
func (t Tensor) Float32() ([]float32, error) {
	n, err := t.checkData("float32", F32, F16, BF16, F8E4M3, F8E5M2, F8E4M3FNUZ, F8E5M2FNUZ, F64)
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	le := binary.LittleEndian
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(le.Uint32(t.Data[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = math.Float32frombits(f16ToF32Bits(le.Uint16(t.Data[2*i:])))
		}
	case BF16:
		for i := range out {
			out[i] = math.Float32frombits(uint32(le.Uint16(t.Data[2*i:])) << 16)
		}
	case F8E4M3:
		for i := range out {
			out[i] = f8e4m3Table[t.Data[i]]
		}
	case F8E5M2:
		for i := range out {
			out[i] = f8e5m2Table[t.Data[i]]
		}
	case F8E4M3FNUZ, F8E5M2FNUZ:
		decode := FP8Decoder(t.DType)
		for i := range out {
			out[i] = decode(t.Data[i])
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(le.Uint64(t.Data[8*i:])))
		}
	}
	return out, nil
}

// Int64 converts an integer tensor (I64, I32, I16, I8, U32, U16, U8) to a
// new []int64.
func (t Tensor) Int64() ([]int64, error) {
	n, err := t.checkData("int64", I64, I32, I16, I8, U32, U16, U8)
	if err != nil {
		return nil, err
	}
	out := make([]int64, n)
	le := binary.LittleEndian
	d := t.Data
	for i := range out {
		switch t.DType {
		case I64:
			out[i] = int64(le.Uint64(d[8*i:]))
		case I32:
			out[i] = int64(int32(le.Uint32(d[4*i:])))
		case I16:
			out[i] = int64(int16(le.Uint16(d[2*i:])))
		case I8:
			out[i] = int64(int8(d[i]))
		case U32:
			out[i] = int64(le.Uint32(d[4*i:]))
		case U16:
			out[i] = int64(le.Uint16(d[2*i:]))
		case U8:
			out[i] = int64(d[i])
		}
	}
	return out, nil
}

// EncodeFloat32 returns the little-endian bytes of v, ready for Tensor.Data.
func EncodeFloat32(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// f16ToF32Bits widens IEEE binary16 bits to binary32 bits exactly.
// Subnormal halves become normal floats; a NaN keeps its sign and payload
// and becomes quiet, as torch (and the F16C instruction) widen it.
func f16ToF32Bits(h uint16) uint32 {
	sign := uint32(h>>15) << 31
	exp := int32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f && mant != 0: // NaN
		return sign | 0xff<<23 | 1<<22 | mant<<13
	case exp == 0x1f: // inf
		return sign | 0xff<<23
	case exp != 0: // normal
		return sign | uint32(exp-15+127)<<23 | mant<<13
	case mant == 0: // ±0
		return sign
	}
	// Subnormal: value = mant * 2^-24. Shift the leading one up to the
	// implicit-bit position, lowering the exponent once per shift.
	e := int32(-14)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return sign | uint32(e+127)<<23 | (mant&0x3ff)<<13
}
