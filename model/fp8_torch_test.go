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
// testdata/fp8/fp8_scales.safetensors was written with transformers 5.2.0 and
// torch 2.15 by:
//
//	import torch
//	from types import SimpleNamespace
//	from safetensors.torch import save_file
//	from transformers.integrations.finegrained_fp8 import Fp8Dequantize
//	torch.manual_seed(0)
//	q = SimpleNamespace(quantization_config=SimpleNamespace(weight_block_size=[8, 32]))
//	out = {}
//	for name, fmt, sdt in [("bf16", torch.float8_e4m3fn, torch.bfloat16), ("f16", torch.float8_e4m3fn, torch.float16),
//	                       ("f32", torch.float8_e4m3fn, torch.float32), ("e5bf16", torch.float8_e5m2, torch.bfloat16),
//	                       ("fnuzbf16", torch.float8_e4m3fnuz, torch.bfloat16), ("e5fnuzf32", torch.float8_e5m2fnuz, torch.float32)]:
//	    w = (torch.randn(16, 64) * 30).to(fmt)
//	    s = (torch.rand(2, 2) * 0.01 + 1e-4).to(sdt)
//	    deq = Fp8Dequantize(q).convert({"weight$": [w], "weight_scale_inv": [s]}, full_layer_name="x")["x"]
//	    out[f"{name}.weight"] = w
//	    out[f"{name}.weight_scale_inv"] = s
//	    out[f"{name}.expected"] = deq
//	save_file(out, "fp8_scales.safetensors")
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
// overflow. testdata/fp8/round.safetensors was written by:
//
//	import torch
//	from safetensors.torch import save_file
//	g = torch.Generator().manual_seed(1)
//	e = torch.randint(-30, 18, (3000,), generator=g).float()
//	m = torch.rand(3000, generator=g) + 1
//	x = m * torch.exp2(e) * torch.where(torch.rand(3000, generator=g) < 0.5, -1.0, 1.0)
//	ties = torch.tensor([65504., 65519.99, 65520., 2.0**-24 * 0.5, 2.0**-24 * 1.5, 2.0**-25, 2.0**-14 * (1 - 2**-11), 1 + 2**-11, 1 + 3 * 2**-11,
//	                     1 + 2**-8, 1 + 3 * 2**-8, 3.3895e38, 3.4e38, 0.0, -0.0, float("inf"), -float("inf")])
//	x = torch.cat([x, ties, -ties])
//	save_file({"x": x, "f16": x.half(), "bf16": x.bfloat16()}, "round.safetensors")
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
