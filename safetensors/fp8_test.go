package safetensors

import (
	"math"
	"testing"
)

// fp8Formula is the textbook value of an FP8 code: (-1)^s 2^(e-bias)
// (1 + m/2^M) for normal codes, (-1)^s 2^(1-bias) m/2^M for subnormal ones.
func fp8Formula(c byte, e4m3 bool) float64 {
	expBits, man, bias := 5, 2, 15
	if e4m3 {
		expBits, man, bias = 4, 3, 7
	}
	s := 1.0
	if c&0x80 != 0 {
		s = -1
	}
	e := int(c>>man) & (1<<expBits - 1)
	m := float64(int(c) & (1<<man - 1))
	frac := m / math.Pow(2, float64(man))
	if e4m3 && c&0x7f == 0x7f {
		return math.NaN()
	}
	if !e4m3 && e == 31 {
		if m == 0 {
			return s * math.Inf(1)
		}
		return math.NaN()
	}
	if e == 0 {
		return s * math.Pow(2, float64(1-bias)) * frac
	}
	return s * math.Pow(2, float64(e-bias)) * (1 + frac)
}

func TestFP8DecodeAll256(t *testing.T) {
	for _, f := range []struct {
		name   string
		e4m3   bool
		decode func(byte) float32
		dt     DType
	}{{"F8_E4M3", true, F8E4M3ToF32, F8E4M3}, {"F8_E5M2", false, F8E5M2ToF32, F8E5M2}} {
		data := make([]byte, 256)
		for c := range data {
			data[c] = byte(c)
		}
		all, err := Tensor{Name: "w", DType: f.dt, Shape: []int{256}, Data: data}.Float32()
		if err != nil {
			t.Fatal(err)
		}
		for c := 0; c < 256; c++ {
			want := fp8Formula(byte(c), f.e4m3)
			got := f.decode(byte(c))
			if all[c] != got && !(math.IsNaN(float64(got)) && math.IsNaN(float64(all[c]))) {
				t.Errorf("%s %#02x: Float32 gives %v, decode %v", f.name, c, all[c], got)
			}
			if math.IsNaN(want) != math.IsNaN(float64(got)) || (!math.IsNaN(want) && float64(got) != want) {
				t.Errorf("%s %#02x = %v, want %v", f.name, c, got, want)
			}
			if want == 0 && math.Signbit(want) != math.Signbit(float64(got)) {
				t.Errorf("%s %#02x: sign of zero", f.name, c)
			}
		}
	}
	// Landmarks of the formats (OCP FP8 spec).
	for _, c := range []struct {
		got, want float32
	}{{F8E4M3ToF32(0x7e), 448}, {F8E4M3ToF32(0x38), 1}, {F8E4M3ToF32(0x01), 1.0 / 512}, {F8E4M3ToF32(0xc0), -2},
		{F8E5M2ToF32(0x7b), 57344}, {F8E5M2ToF32(0x3c), 1}, {F8E5M2ToF32(0x01), 1.0 / 65536}} {
		if c.got != c.want {
			t.Errorf("got %v, want %v", c.got, c.want)
		}
	}
}
