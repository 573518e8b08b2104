package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/qfilters/qfilters/internal/fixture"
)

// FuzzParseConfig feeds arbitrary bytes to config.json normalization. It
// must never panic, and whatever it accepts must be a configuration the
// model code can index without further checks: positive sizes, one RoPE and
// one window per layer, an even rotary dimension.
func FuzzParseConfig(f *testing.F) {
	seeds, _ := filepath.Glob(fixture.Path("archs", "*", "config*.json"))
	seeds = append(seeds, filepath.Join("..", "assets", "stories260K", "config.json"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	base := `"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128, "vocab_size": 100`
	for _, s := range []string{
		`{"model_type": "llama", ` + base + `}`,
		`{"model_type": "gemma3_text", ` + base + `, "sliding_window": 4, "layer_types": ["sliding_attention", "full_attention"], "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 8, "rope_theta": 1e6}, "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}}`,
		`{"model_type": "phi3", ` + base + `, "partial_rotary_factor": 0.5, "rope_scaling": {"type": "longrope", "short_factor": [1, 1, 1, 1], "long_factor": [2, 2, 2, 2]}, "original_max_position_embeddings": 64, "max_position_embeddings": 256}`,
		`{"model_type": "qwen3_moe", ` + base + `, "num_experts": 4, "num_experts_per_tok": 2, "mlp_only_layers": [1e300, -1], "decoder_sparse_step": 0}`,
		`{"model_type": "llama", ` + base + `, "head_dim": 1e12, "rope_theta": -1}`,
		`{"model_type": "llava", "text_config": {"model_type": "mistral", ` + base + `}, "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}}`,
		`{"model_type": "qwen2_vl", ` + base + `, "rope_scaling": {"type": "mrope", "mrope_section": [2, 3, 3]}}`,
		`{"model_type": "qwen3_vl", "text_config": {"model_type": "qwen3_vl_text", "rope_scaling": {"mrope_interleaved": true, "mrope_section": [24, 20, 20]}}}`,
		`{"model_type": "gemma3", "text_config": {"hidden_size": 64, "num_hidden_layers": 3}}`,
		`null`, `[]`, `{}`, `{"model_type": null}`, `{"model_type": "llama", "num_hidden_layers": 2.5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		for name, v := range map[string]int{"hidden": c.Hidden, "layers": c.Layers, "heads": c.Heads,
			"kv heads": c.KVHeads, "head dim": c.HeadDim, "vocab": c.Vocab, "intermediate": c.Intermediate} {
			if v <= 0 {
				t.Fatalf("accepted %s = %d", name, v)
			}
		}
		if c.Heads%c.KVHeads != 0 || !(c.NormEps > 0) {
			t.Fatalf("accepted heads %d / kv heads %d, eps %v", c.Heads, c.KVHeads, c.NormEps)
		}
		if len(c.Rope) != c.Layers || len(c.Window) != c.Layers {
			t.Fatalf("%d layers but %d RoPE and %d windows", c.Layers, len(c.Rope), len(c.Window))
		}
		for l, rc := range c.Rope {
			rot := int(float64(c.HeadDim) * rc.PartialFactor)
			if rot < 2 || rot%2 != 0 || !(rc.Theta > 0) {
				t.Fatalf("layer %d: accepted rotary dim %d, theta %v", l, rot, rc.Theta)
			}
			if c.Window[l] < 0 {
				t.Fatalf("layer %d: window %d", l, c.Window[l])
			}
		}
	})
}
