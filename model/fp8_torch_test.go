package model

import (
	"math"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
	"github.com/qfilters/qfilters/safetensors"
)

// TestFP8MatchesTransformers: FP8 weights dequantize to exactly what
// transformers' Fp8Dequantize (finegrained_fp8, the path it takes on a
// machine without an FP8 GPU) makes of them. It computes in the dtype of the
// scales: with BF16 or F16 scales every product is rounded to that dtype.
// FNUZ codes (AMD's FP8) decode with their own bias. The fixture
// testdata/fp8/fp8_scales.safetensors is written by python/goldens/fp8.py
// (make goldens) with transformers' own Fp8Dequantize.
func TestFP8MatchesTransformers(t *testing.T) {
	ck, err := safetensors.Open(fixture.Path("fp8", "fp8_scales.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	w, err := fp8View(ck, Quantization{Method: "fp8", Block: [2]int{8, 32}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bf16", "f16", "f32", "e5bf16", "fnuzbf16", "e5fnuzf32"} {
		got, err := w.Tensor(name + ".weight")
		if err != nil {
			t.Fatal(err)
		}
		want, err := w.Tensor(name + ".expected")
		if err != nil {
			t.Fatal(err)
		}
		g, err := got.Float32()
		if err != nil {
			t.Fatal(err)
		}
		e, err := want.Float32()
		if err != nil {
			t.Fatal(err)
		}
		bad := 0
		for i := range e {
			if math.Float32bits(g[i]) != math.Float32bits(e[i]) {
				if bad < 3 {
					t.Errorf("%s: element %d is %g, transformers gives %g", name, i, g[i], e[i])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d elements differ", name, bad, len(e))
		}
	}
}

// TestRoundToScaleDtype: roundToF16 and roundToBF16 round float32 as torch's
// .half() and .bfloat16() do, over the normal and subnormal ranges, ties and
// overflow. testdata/fp8/round.safetensors is written by
// python/goldens/fp8.py (make goldens).
func TestRoundToScaleDtype(t *testing.T) {
	ck, err := safetensors.Open(fixture.Path("fp8", "round.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	read := func(name string) []float32 {
		tn, err := ck.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		v, err := tn.Float32()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	x := read("x")
	for _, c := range []struct {
		name  string
		round func(float32) float32
	}{{"f16", roundToF16}, {"bf16", roundToBF16}} {
		want, bad := read(c.name), 0
		for i, v := range x {
			if got := c.round(v); math.Float32bits(got) != math.Float32bits(want[i]) {
				if bad < 3 {
					t.Errorf("%s(%g) = %g, torch gives %g", c.name, v, got, want[i])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d differ", c.name, bad, len(x))
		}
	}
}
