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
// is written by python/goldens/fp8.py (make goldens).
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
// is written by python/goldens/fp8.py (make goldens).
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
