package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hybridCopy copies the qwen3_5_text fixture with its config edited.
func hybridCopy(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	src := archDir(t, "qwen3_5_text")
	dst := t.TempDir()
	b, err := os.ReadFile(filepath.Join(src, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	b, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(dst, "config.json"), b, 0o644)
	w, _ := os.ReadFile(filepath.Join(src, "model.safetensors"))
	os.WriteFile(filepath.Join(dst, "model.safetensors"), w, 0o644)
	return dst
}

// TestHybridLayerTypesMustMatchTensors: a config whose layer_types call a
// layer of the checkpoint by the other type is refused when opened, both
// ways, naming the tensor that contradicts it.
func TestHybridLayerTypesMustMatchTensors(t *testing.T) {
	for _, c := range []struct {
		types []string
		want  string
	}{
		{[]string{"full_attention", "full_attention", "linear_attention", "full_attention"},
			"layer_types says full_attention but it has model.layers.0.linear_attn.out_proj.weight"},
		{[]string{"linear_attention", "linear_attention", "linear_attention", "full_attention"},
			"layer_types says linear_attention but it has model.layers.1.self_attn.q_proj.weight"},
	} {
		dir := hybridCopy(t, func(v map[string]any) { v["layer_types"] = c.types })
		_, err := Open(dir)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("layer_types %v: %v, want %q", c.types, err, c.want)
		}
	}
}

// TestHybridConfig: layer types from full_attention_interval when
// layer_types is absent, and what a cache means per layer.
func TestHybridConfig(t *testing.T) {
	dir := hybridCopy(t, func(v map[string]any) {
		delete(v, "layer_types")
		v["full_attention_interval"] = 2.0
	})
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Config
	if c.HasCache(0) || !c.HasCache(1) || c.HasCache(2) || !c.HasCache(3) || c.Uniform() {
		t.Errorf("layers with a cache: %v %v %v %v", c.HasCache(0), c.HasCache(1), c.HasCache(2), c.HasCache(3))
	}
	if c.DeltaNet != (DeltaNetConfig{KeyHeads: 2, ValueHeads: 4, KeyDim: 16, ValueDim: 16, ConvKernel: 4}) {
		t.Errorf("DeltaNet %+v", c.DeltaNet)
	}
	if c.Rope[1].PartialFactor != 0.25 {
		t.Errorf("partial rotary %v", c.Rope[1].PartialFactor)
	}
}

// TestGemma4WorkingSet: the estimate counts the global layers' wider heads
// and the keys and values kept for the layers sharing a cache.
func TestGemma4WorkingSet(t *testing.T) {
	m, err := Open(archDir(t, "gemma4_text"))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c := m.Config
	_, h, _ := c.WorkingSet(2, 100)
	// Hidden states (2 x 200 tokens x 32 x 4 bytes) plus the keys and values
	// of layers 3 (2 x 16) and 2 (1 x 32) for the readers.
	if want := int64(2*4*200*32 + 2*4*200*(2*16) + 2*4*200*(1*32)); h != want {
		t.Errorf("hidden %d, want %d", h, want)
	}
}
