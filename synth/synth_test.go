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

// TestHybridPreset: the small hybrid preset loads and runs as Qwen 3.5; the
// 27B-shaped one has about Qwen3.5-27B's text-model parameter count and a
// working set at 4 x 2048 tokens of two of its largest layers plus the
// hidden states, never growing with the linear layers' context.
func TestHybridPreset(t *testing.T) {
	p, _ := Lookup("qwen3.5-small")
	dir := filepath.Join(t.TempDir(), "m")
	if err := Write(dir, p, 1); err != nil {
		t.Fatal(err)
	}
	m, err := model.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if c := m.Config; c.HasCache(0) || !c.HasCache(3) || c.DeltaNet.ValueHeads != 4 {
		t.Errorf("config %+v", c)
	}
	if _, err := m.Forward([]int{1, 2, 3, 4}, nil); err != nil {
		t.Fatal(err)
	}
	big, _ := Lookup("qwen3.5-27b")
	if got := float64(big.Params()); got < 25e9 || got > 28e9 {
		t.Errorf("qwen3.5-27b: %.4g parameters", got)
	}
}

func TestHybridWorkingSet27B(t *testing.T) {
	p, _ := Lookup("qwen3.5-27b")
	dir := t.TempDir()
	if err := writeConfig(dir, p); err != nil {
		t.Fatal(err)
	}
	c, err := model.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	w, h, a := c.WorkingSet(4, 2048)
	t.Logf("qwen3.5-27b, 4 x 2048 tokens: %.4g params; weights %.1f MiB, hidden %.1f MiB, activations %.1f MiB; %.4g GFLOP",
		float64(p.Params()), float64(w)/(1<<20), float64(h)/(1<<20), float64(a)/(1<<20), c.CalibrationFLOPs(4, 2048)/1e9)
	// Two of the largest layer (a linear-attention one: its projections
	// are wider than the gated attention's) at 4 bytes a parameter.
	lin := int64(5120)*(2*16*128+48*128+48*128+2*48) + 48*128*5120 + (2*16*128+48*128)*4 + 3*5120*17408
	if w != 2*4*lin {
		t.Errorf("weights %d, want %d", w, 2*4*lin)
	}
	if h != 2*4*4*2048*5120 {
		t.Errorf("hidden %d", h)
	}
	// Doubling the context doubles the hidden states; nothing grows with
	// the square of it or per linear layer.
	_, h2, a2 := c.WorkingSet(4, 4096)
	if h2 != 2*h || a2 > 2*a {
		t.Errorf("at 4 x 4096: hidden %d, activations %d (vs %d, %d)", h2, a2, h, a)
	}
}
