package safetensors

import (
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// halfOracle computes a binary16 value from its fields with float64
// arithmetic, independently of the bit manipulation in f16ToF32Bits.
func halfOracle(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, mant := int(h>>10)&0x1f, float64(h&0x3ff)
	switch {
	case exp == 0x1f && mant == 0:
		return math.Inf(int(sign))
	case exp == 0x1f:
		return math.NaN()
	case exp == 0:
		return sign * math.Ldexp(mant, -24)
	}
	return sign * math.Ldexp(1+mant/1024, exp-15)
}

// bf16Oracle computes a bfloat16 value from its fields with float64 arithmetic.
func bf16Oracle(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, mant := int(h>>7)&0xff, float64(h&0x7f)
	switch {
	case exp == 0xff && mant == 0:
		return math.Inf(int(sign))
	case exp == 0xff:
		return math.NaN()
	case exp == 0:
		return sign * math.Ldexp(mant, -133)
	}
	return sign * math.Ldexp(1+mant/128, exp-127)
}

// u16Tensor packs every 16-bit pattern into a tensor of the given dtype.
func u16Tensor(dt DType) Tensor {
	data := make([]byte, 2*65536)
	for i := range 65536 {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(i))
	}
	return Tensor{Name: "all", DType: dt, Shape: []int{65536}, Data: data}
}

// checkAll16 compares every converted value with its oracle, including the
// sign of zero and NaN-ness.
func checkAll16(t *testing.T, dt DType, oracle func(uint16) float64) {
	got, err := u16Tensor(dt).Float32()
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		want := oracle(uint16(i))
		gf := float64(g)
		switch {
		case math.IsNaN(want):
			if !math.IsNaN(gf) {
				t.Fatalf("%s %#04x: got %v, want NaN", dt, i, g)
			}
		case gf != want || math.Signbit(gf) != math.Signbit(want):
			t.Fatalf("%s %#04x: got %v, want %v", dt, i, g, want)
		}
	}
}

func TestFloat32F16Exhaustive(t *testing.T)  { checkAll16(t, F16, halfOracle) }
func TestFloat32BF16Exhaustive(t *testing.T) { checkAll16(t, BF16, bf16Oracle) }

// TestFloat32F16Specials pins a few well-known half-precision encodings.
func TestFloat32F16Specials(t *testing.T) {
	cases := map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x7bff: 65504,
		0x0001: float32(math.Ldexp(1, -24)), 0x03ff: float32(math.Ldexp(1023, -24)), 0x0400: float32(math.Ldexp(1, -14)),
		0x7c00: float32(math.Inf(1)), 0xfc00: float32(math.Inf(-1)),
	}
	for h, want := range cases {
		if got := math.Float32frombits(f16ToF32Bits(h)); got != want {
			t.Errorf("f16 %#04x: got %v, want %v", h, got, want)
		}
	}
	if got := math.Float32frombits(f16ToF32Bits(0x8000)); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("f16 0x8000: got %v, want -0", got)
	}
	if got := math.Float32frombits(f16ToF32Bits(0x7e00)); !math.IsNaN(float64(got)) {
		t.Errorf("f16 0x7e00: got %v, want NaN", got)
	}
}

// TestFloat32F32F64 checks the pass-through and narrowing paths.
func TestFloat32F32F64(t *testing.T) {
	in := []float32{0, float32(math.Copysign(0, -1)), 1.5, -3.25e-40, float32(math.Inf(1)), math.MaxFloat32}
	got, err := Tensor{Name: "f", DType: F32, Shape: []int{len(in)}, Data: EncodeFloat32(in)}.Float32()
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if math.Float32bits(got[i]) != math.Float32bits(in[i]) {
			t.Errorf("F32[%d]: got %v, want %v", i, got[i], in[i])
		}
	}
	f64 := []float64{1.0 / 3, -2.5, math.Inf(-1), 1e300}
	data := make([]byte, 8*len(f64))
	for i, x := range f64 {
		binary.LittleEndian.PutUint64(data[8*i:], math.Float64bits(x))
	}
	got, err = Tensor{Name: "d", DType: F64, Shape: []int{len(f64)}, Data: data}.Float32()
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range f64 {
		if got[i] != float32(x) {
			t.Errorf("F64[%d]: got %v, want %v", i, got[i], float32(x))
		}
	}
}

// TestInt64 checks sign extension for each integer dtype.
func TestInt64(t *testing.T) {
	cases := []struct {
		dt   DType
		data []byte
		want []int64
	}{
		{I64, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 0, 0, 0}, []int64{-1, 2}},
		{I32, []byte{0xfe, 0xff, 0xff, 0xff, 7, 0, 0, 0}, []int64{-2, 7}},
		{I16, []byte{0x00, 0x80, 1, 0}, []int64{-32768, 1}},
		{I8, []byte{0x80, 0x7f}, []int64{-128, 127}},
		{U32, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, []int64{4294967295, 0}},
		{U16, []byte{0xff, 0xff, 0, 1}, []int64{65535, 256}},
		{U8, []byte{0xff, 3}, []int64{255, 3}},
	}
	for _, c := range cases {
		got, err := Tensor{Name: "i", DType: c.dt, Shape: []int{2}, Data: c.data}.Int64()
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != c.want[0] || got[1] != c.want[1] {
			t.Errorf("%s: got %v, want %v", c.dt, got, c.want)
		}
	}
}

// TestConversionErrors checks that bad tensors give errors naming them.
func TestConversionErrors(t *testing.T) {
	cases := []struct {
		t    Tensor
		int  bool
		want string
	}{
		{Tensor{Name: "ids", DType: I64, Shape: []int{1}, Data: make([]byte, 8)}, false, `tensor "ids": dtype I64 cannot be converted to float32`},
		{Tensor{Name: "w", DType: F32, Shape: []int{1}, Data: make([]byte, 4)}, true, `tensor "w": dtype F32 cannot be converted to int64`},
		{Tensor{Name: "short", DType: F32, Shape: []int{3}, Data: make([]byte, 8)}, false, `tensor "short": 8 bytes of data, want 3 elements`},
		{Tensor{Name: "neg", DType: F16, Shape: []int{-1}, Data: nil}, false, `tensor "neg": invalid shape`},
		{Tensor{Name: "huge", DType: F32, Shape: []int{math.MaxInt / 2, 4}, Data: nil}, false, `tensor "huge": invalid shape`},
		{Tensor{Name: "big", DType: F32, Shape: []int{math.MaxInt / 2}, Data: nil}, false, `tensor "big": 0 bytes of data`},
		{Tensor{Name: "odd", DType: BF16, Shape: []int{}, Data: make([]byte, 3)}, false, `tensor "odd": 3 bytes`},
	}
	for _, c := range cases {
		var err error
		if c.int {
			_, err = c.t.Int64()
		} else {
			_, err = c.t.Float32()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want %q", c.t.Name, err, c.want)
		}
	}
}

// TestNumElements covers scalars, zero dimensions and overflow.
func TestNumElements(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  int
	}{{nil, 1}, {[]int{}, 1}, {[]int{2, 3, 4}, 24}, {[]int{0, 5}, 0}, {[]int{-1}, -1}, {[]int{math.MaxInt, 2}, -1}, {[]int{0, math.MaxInt, 2}, 0}} {
		if got := (Tensor{Shape: c.shape}).NumElements(); got != c.want {
			t.Errorf("NumElements(%v) = %d, want %d", c.shape, got, c.want)
		}
	}
}
