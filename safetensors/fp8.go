package safetensors

import "math"

// FP8 element decoding. F8_E4M3 is the "fn" variant every FP8 checkpoint
// uses (torch.float8_e4m3fn): bias 7, no infinities, only S.1111.111 is NaN,
// largest finite 448. F8_E5M2 follows IEEE 754 rules: bias 15, exponent 31 is
// infinity (mantissa 0) or NaN. Both have subnormals. Every FP8 value is
// exact in float32, so a 256-entry table decodes them. A NaN decodes as
// torch's .float() does: its sign and mantissa kept, made quiet.
var (
	f8e4m3Table     = fp8Table(4, 3, false)
	f8e5m2Table     = fp8Table(5, 2, true)
	f8e4m3fnuzTable = fnuzTable(4, 3)
	f8e5m2fnuzTable = fnuzTable(5, 2)
)

// fnuzTable decodes the 256 codes of an "fnuz" format (F8_E4M3FNUZ,
// F8_E5M2FNUZ): the bias is one more than the IEEE-style format's, every
// exponent is finite, and 0x80 (the -0 of other formats) is the only NaN,
// which torch widens to the float32 bits 0x7f800001.
func fnuzTable(expBits, manBits int) *[256]float32 {
	var t [256]float32
	bias := 1 << (expBits - 1)
	for c := 0; c < 256; c++ {
		if c == 0x80 {
			t[c] = math.Float32frombits(0x7f800001)
			continue
		}
		e := (c >> manBits) & (1<<expBits - 1)
		m := c & (1<<manBits - 1)
		v := math.Ldexp(float64(m), 1-bias-manBits)
		if e != 0 {
			v = math.Ldexp(float64(m|1<<manBits), e-bias-manBits)
		}
		if c&0x80 != 0 {
			v = -v
		}
		t[c] = float32(v)
	}
	return &t
}

// fp8Table decodes all 256 codes of a format with the given exponent and
// mantissa widths; ieee says whether the all-ones exponent encodes infinity
// and NaN (E5M2) or only the all-ones code is NaN (E4M3fn).
func fp8Table(expBits, manBits int, ieee bool) *[256]float32 {
	var t [256]float32
	bias := 1<<(expBits-1) - 1
	maxExp := 1<<expBits - 1
	for c := 0; c < 256; c++ {
		sign := 1.0
		if c&0x80 != 0 {
			sign = -1
		}
		e := (c >> manBits) & maxExp
		m := c & (1<<manBits - 1)
		var v float64
		switch {
		case ieee && e == maxExp && m == 0:
			v = math.Inf(1)
		case ieee && e == maxExp, !ieee && e == maxExp && m == 1<<manBits-1:
			// Float arithmetic would lose the sign and payload: build the bits.
			t[c] = math.Float32frombits(uint32(c&0x80)<<24 | 0x7fc00000 | uint32(m)<<(23-manBits))
			continue
		case e == 0:
			v = math.Ldexp(float64(m), 1-bias-manBits)
		default:
			v = math.Ldexp(float64(m|1<<manBits), e-bias-manBits)
		}
		t[c] = float32(sign * v)
	}
	return &t
}

// F8E4M3ToF32 decodes one F8_E4M3 (e4m3fn) byte.
func F8E4M3ToF32(b byte) float32 { return f8e4m3Table[b] }

// F8E5M2ToF32 decodes one F8_E5M2 byte.
func F8E5M2ToF32(b byte) float32 { return f8e5m2Table[b] }

// FP8Decoder returns the decoder of an FP8 dtype, or nil for any other.
func FP8Decoder(dt DType) func(byte) float32 {
	switch dt {
	case F8E4M3:
		return F8E4M3ToF32
	case F8E5M2:
		return F8E5M2ToF32
	case F8E4M3FNUZ:
		return func(b byte) float32 { return f8e4m3fnuzTable[b] }
	case F8E5M2FNUZ:
		return func(b byte) float32 { return f8e5m2fnuzTable[b] }
	}
	return nil
}
