package gguf

import (
	"math"
	"math/rand"
	"slices"
	"testing"
)

// TestDequantizeMatchesSpec: for every supported type, dequant.go gives
// exactly (bit for bit) what an element-by-element reading of the format
// gives, on quantized random data including zeros, ties and outliers; and
// the quantization round trip is close, so the test quantizers are sound.
func TestDequantizeMatchesSpec(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	x := make([]float32, 4*256)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 0.05)
	}
	copy(x[256:288], make([]float32, 32)) // an all-zero block
	x[300] = 3                            // an outlier
	for _, typ := range []Type{F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K} {
		raw := Quantize(typ, x)
		got := make([]float32, len(x))
		typ.dequantize(got, raw)
		want := SpecDequantize(typ, raw, len(x))
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: element %d: %v, the format says %v", typ, i, got[i], want[i])
			}
		}
		var num, den float64
		for i := range x {
			num += float64(got[i]-x[i]) * float64(got[i]-x[i])
			den += float64(x[i]) * float64(x[i])
		}
		t.Logf("%s: relative round-trip error %.4f", typ, math.Sqrt(num/den))
		if rel := math.Sqrt(num / den); rel > 0.2 {
			t.Errorf("%s: relative round-trip error %.3f: the test quantizer is off", typ, rel)
		}
	}
	if !slices.Equal(SpecDequantize(F16, Quantize(F16, []float32{1, -2, 65504, 6e-8}), 4), []float32{1, -2, 65504, float32(f16Value(1))}) {
		t.Error("f16 conversion")
	}
}

// BenchmarkDequantize: elements per second for each type, on 1M elements.
func BenchmarkDequantize(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	x := make([]float32, 1<<20)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	out := make([]float32, len(x))
	for _, typ := range []Type{F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K} {
		raw := Quantize(typ, x)
		b.Run(typ.String(), func(b *testing.B) {
			b.SetBytes(int64(4 * len(x)))
			for i := 0; i < b.N; i++ {
				typ.dequantize(out, raw)
			}
		})
	}
}
