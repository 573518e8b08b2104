package main

import (
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/safetensors"
)

// ropeHostileCases: refusals of the RoPE scalings and of MXFP4 experts.
func ropeHostileCases() []hostileCase {
	return []hostileCase{
		{"rope_scaling yarn with a negative factor", func(t *testing.T, e *hostileEnv) {
			editJSON(t, filepath.Join(e.model, "config.json"), func(v map[string]any) {
				v["rope_scaling"] = map[string]any{"rope_type": "yarn", "factor": -2.0}
			})
		}, 1, "rope type yarn needs a positive factor"},
		{"MXFP4 expert scales stored as F32 (not E8M0 bytes)", func(t *testing.T, e *hostileEnv) {
			addTensors(t, e.st(),
				safetensors.Tensor{Name: "model.layers.0.mlp.experts.down_proj_blocks", DType: safetensors.U8, Shape: []int{1, 2, 1, 16}, Data: make([]byte, 32)},
				safetensors.Tensor{Name: "model.layers.0.mlp.experts.down_proj_scales", DType: safetensors.F32, Shape: []int{1, 2, 1}, Data: make([]byte, 8)})
		}, 1, "MXFP4 scales model.layers.0.mlp.experts.down_proj_scales: dtype F32; expected U8 (E8M0 exponents)"},
	}
}

// addTensors rewrites the safetensors file at path with extra tensors.
func addTensors(t *testing.T, path string, extra ...safetensors.Tensor) {
	t.Helper()
	ck, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.Tensor
	for _, n := range ck.Names() {
		ten, err := ck.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, ten)
	}
	ck.Close()
	if err := safetensors.Write(path, append(ts, extra...), nil); err != nil {
		t.Fatal(err)
	}
}
