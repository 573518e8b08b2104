package safetensors

import (
	"math"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// TestFloat32BitsAsTorch: F16, BF16, F8_E4M3 and F8_E5M2 widen to the very
// float32 bits torch's .float() gives, NaNs included: torch keeps a NaN's
// sign and payload and sets the quiet bit (F16 0x7c01 -> 0x7fc02000, E4M3
// 0xff -> 0xfff00000). testdata/fp8/widen.safetensors (every F16 infinity and
// NaN and the subnormals, a few BF16 NaNs, all 256 codes of both FP8 formats)
// was written with torch 2.15 by:
//
//	import torch
//	from safetensors.torch import save_file
//	h = torch.arange(0x7c00, 0x8000, dtype=torch.int32)
//	h = torch.cat([h, h | 0x8000, torch.arange(0, 0x400, dtype=torch.int32)]).to(torch.int16).view(torch.float16)
//	b = torch.tensor([0x7f81, 0x7fc0, 0x7fff, 0xff81, 0xffc1, 0x7f80, 0x0001, 0x8001], dtype=torch.int32).to(torch.int16).view(torch.bfloat16)
//	c = torch.arange(256, dtype=torch.int32).to(torch.uint8)
//	e4, e5 = c.clone().view(torch.float8_e4m3fn), c.clone().view(torch.float8_e5m2)
//	save_file({"f16": h, "f16.f32": h.float(), "bf16": b, "bf16.f32": b.float(),
//	           "e4m3": e4, "e4m3.f32": e4.float(), "e5m2": e5, "e5m2.f32": e5.float()}, "widen.safetensors")
func TestFloat32BitsAsTorch(t *testing.T) {
	ck, err := Open(fixture.Path("fp8", "widen.safetensors"))
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
	for _, name := range []string{"f16", "bf16", "e4m3", "e5m2"} {
		got, want, bad := read(name), read(name+".f32"), 0
		for i := range want {
			if g, w := math.Float32bits(got[i]), math.Float32bits(want[i]); g != w {
				if bad < 3 {
					t.Errorf("%s element %d: %08x, torch gives %08x", name, i, g, w)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d differ", name, bad, len(want))
		}
	}
}

// TestFNUZAsTorch: F8_E4M3FNUZ and F8_E5M2FNUZ (AMD's FP8, which the
// safetensors format names since 0.5) are read, and every code widens to the
// float32 bits of torch's .float(): bias 8 and 16, no infinities, no -0, and
// 0x80 the only NaN (torch gives 0x7f800001). testdata/fp8/fnuz.safetensors
// was written with torch 2.15 and safetensors 0.7 by:
//
//	import torch
//	from safetensors.torch import save_file
//	c = torch.arange(256, dtype=torch.int32).to(torch.uint8)
//	e4, e5 = c.clone().view(torch.float8_e4m3fnuz), c.clone().view(torch.float8_e5m2fnuz)
//	save_file({"e4m3fnuz": e4, "e4m3fnuz.f32": e4.float(), "e5m2fnuz": e5, "e5m2fnuz.f32": e5.float()}, "fnuz.safetensors")
func TestFNUZAsTorch(t *testing.T) {
	ck, err := Open(fixture.Path("fp8", "fnuz.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	for _, name := range []string{"e4m3fnuz", "e5m2fnuz"} {
		codes, err := ck.Tensor(name)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := ck.Tensor(name + ".f32")
		if err != nil {
			t.Fatal(err)
		}
		got, err := codes.Float32()
		if err != nil {
			t.Fatal(err)
		}
		want, err := ref.Float32()
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if g, w := math.Float32bits(got[i]), math.Float32bits(want[i]); g != w {
				t.Errorf("%s code %#02x: %08x, torch gives %08x", name, i, g, w)
			}
		}
	}
}
