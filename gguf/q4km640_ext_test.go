package gguf_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/gguf"
	"github.com/qfilters/qfilters/safetensors"
)

// q4KM640 is the type of each weight that llama.cpp's llama_model_quantize
// gives a 2-layer Llama of hidden size 640 (5 heads of 128, 1 kv head, MLP
// 1280) for Q4_K_M, as `make ggml-check` saw it: K-quants need rows of 256,
// so the 640-wide rows fall back to Q5_0 (Q4_K's fallback) and Q8_0 (Q6_K's);
// only ffn_down (rows of 1280) stays a K-quant.
func q4KM640(name string) gguf.Type {
	switch {
	case name == "output.weight", name == "blk.1.attn_v.weight":
		return gguf.Q8_0
	case name == "blk.0.ffn_down.weight":
		return gguf.Q4_K
	case name == "blk.1.ffn_down.weight":
		return gguf.Q6_K
	}
	return gguf.Q5_0
}

// TestQ4KM640Calibrates: a Q4_K_M file of 640-wide rows (Q5_0, Q8_0, Q4_K
// and Q6_K tensors) opens and calibrates, with filters bit-identical to
// those of a plain F32 checkpoint of the weights it reads.
func TestQ4KM640Calibrates(t *testing.T) {
	hf := loadHF(t, writeLlama(t, llamaDims{hidden: 640, heads: 5, headDim: 128, kvHeads: 1, ffn: 1280, vocab: 320, layers: 2}, 12))
	path, raw := convertMixed(t, hf, "llama", q4KM640, 3, 0)
	if r := raw["blk.0.ffn_up.weight"]; r.Type != gguf.Q5_0 || r.Dims[0] != 640 {
		t.Fatalf("ffn_up: %s %v, want Q5_0 rows of 640", r.Type, r.Dims)
	}
	g, err := gguf.OpenModel(path)
	if err != nil {
		t.Fatal(err)
	}
	var plain []safetensors.Tensor
	for _, n := range g.Names() {
		ten, err := g.Tensor(n)
		if err != nil {
			t.Fatal(err)
		}
		plain = append(plain, ten)
		// Q5_0 as written: our reading of it equals ggml's format (the
		// quantizer's reconstruction), within a step of each element.
		if gn := ggufName("llama", n); raw[gn].Type == gguf.Q5_0 && !strings.Contains(gn, "attn_") {
			v, _ := ten.Float32()
			if want := hf.tensors[n]; !close5(v, want) {
				t.Errorf("%s: Q5_0 reading is off the weights", n)
			}
		}
	}
	g.Close()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), hf.config, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := safetensors.Write(filepath.Join(dir, "model.safetensors"), plain, nil); err != nil {
		t.Fatal(err)
	}
	seqs := storiesSeqs(320)
	got, want := calibrateOn(t, path, seqs), calibrateOn(t, dir, seqs)
	if !slices.Equal(got.QFilters, want.QFilters) || !slices.Equal(got.PerQueryHead, want.PerQueryHead) {
		t.Errorf("filters differ from the plain checkpoint's")
	}
}

// close5 reports whether every value is within a 5-bit step (1/16 of its
// block's largest magnitude) of the original.
func close5(got, want []float32) bool {
	for b := 0; b < len(want); b += 32 {
		var mx float32
		for _, v := range want[b : b+32] {
			mx = max(mx, abs32(v))
		}
		for i := b; i < b+32; i++ {
			if abs32(got[i]-want[i]) > mx/16*1.01+1e-6 {
				return false
			}
		}
	}
	return true
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}
