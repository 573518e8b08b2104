package synth

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/qfilters/qfilters/model"
)

// TestSmallPresetLoads writes the small preset and runs the model on it.
func TestSmallPresetLoads(t *testing.T) {
	p, err := Lookup("small")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := Write(dir, p, 1); err != nil {
		t.Fatal(err)
	}
	m, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := m.Config; c.Hidden != 256 || c.Layers != 4 || c.KVHeads != 4 {
		t.Errorf("config %+v", c)
	}
	logits, err := m.Forward([]int{1, 2, 3, 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(logits) != 4*512 {
		t.Errorf("%d logits", len(logits))
	}
	if _, err := Lookup("gpt-5"); err == nil || !strings.Contains(err.Error(), "llama-3.2-1b") {
		t.Errorf("unknown preset: %v", err)
	}
}

// TestPresetSizes: the presets have their models' parameter counts.
func TestPresetSizes(t *testing.T) {
	for name, want := range map[string]float64{"llama-3.2-1b": 1.236e9, "llama-3.1-8b": 8.03e9, "qwen2.5-7b": 7.62e9, "mistral-7b": 7.25e9,
		"gpt-oss-20b": 20.9e9, "gpt-oss-120b": 116.8e9} {
		p, _ := Lookup(name)
		if got := float64(p.Params()); got < want*0.99 || got > want*1.01 {
			t.Errorf("%s: %.4g parameters, want ~%.4g", name, got, want)
		}
	}
}

// TestGptOssPresetLoads: a gpt-oss preset shrunk to tiny sizes (the layout
// of the real ones: MXFP4 experts, sinks, router, biases) opens and runs.
func TestGptOssPresetLoads(t *testing.T) {
	p := gptOss(2, 4)
	p.Name, p.Hidden, p.Intermediate, p.Heads, p.KVHeads, p.HeadDim, p.Vocab = "tiny-gpt-oss", 64, 64, 4, 2, 16, 256
	dir := filepath.Join(t.TempDir(), "m")
	if err := Write(dir, p, 1); err != nil {
		t.Fatal(err)
	}
	m, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := m.Config; c.ModelType != "gpt_oss" || c.Experts != 4 || c.Window[0] != 128 || c.Window[1] != 0 || c.Rope[0].Type != "yarn" || c.Quant.Method != "mxfp4" {
		t.Errorf("config %+v", c)
	}
	logits, err := m.Forward([]int{1, 2, 3, 4}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(logits) != 4*256 {
		t.Errorf("%d logits", len(logits))
	}
}
