package gguf_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/internal/fixture"
)

// TestArchitectures2026: the dense 2025-26 fixtures converted as llama.cpp's
// converter writes them (SmolLM3 and Granite through LlamaModel, q/k rows
// permuted; GLM-4 with its extra norms and fused gate_up; OLMo 3 as olmo2
// with a sliding-window pattern; Cohere 2 with its logit scale; Granite's
// four multipliers as metadata) give the filters of the checkpoint, bit for
// bit. llama.cpp takes every fourth SmolLM3 layer as NoPE whatever the
// checkpoint said (the file cannot say), so SmolLM3's is compared with the
// checkpoint under that reading.
func TestArchitectures2026(t *testing.T) {
	for _, c := range []struct {
		fixture, arch string
		edit          map[string]any // config.json keys of the reading llama.cpp makes
	}{
		{"smollm3", "smollm3", map[string]any{"no_rope_layer_interval": 4}},
		{"olmo3", "olmo2", nil},
		{"granite", "granite", nil},
		{"glm4", "glm4", nil},
		{"cohere2", "cohere2", nil},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			dir := fixture.Arch(c.fixture)
			hf := loadHF(t, dir)
			path, _ := convert(t, hf, c.arch, gguf.F32, 3, 0)
			seqs := goldenIDs(t, dir)
			if c.edit != nil {
				dir = editedCopy(t, dir, c.edit)
			}
			want := calibrateOn(t, dir, seqs)
			got := calibrateOn(t, path, seqs)
			if !slices.Equal(got.QFilters, want.QFilters) || !slices.Equal(got.PerQueryHead, want.PerQueryHead) {
				d := got.HeadDim
				worst := 1.0
				for f := 0; f < min(got.Layers*got.KVHeads, want.Layers*want.KVHeads); f++ {
					worst = min(worst, cosine(got.QFilters[f*d:(f+1)*d], want.QFilters[f*d:(f+1)*d]))
				}
				t.Errorf("filters differ from the checkpoint's: worst cosine %.7f", worst)
			}
		})
	}
}

// editedCopy is a copy of dir with keys of its config.json replaced.
func editedCopy(t *testing.T, dir string, edit map[string]any) string {
	t.Helper()
	out := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range edit {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(out, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "model.safetensors"), w, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
