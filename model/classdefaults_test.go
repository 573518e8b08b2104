package model

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestClassDefaults: a GPT-NeoX config.json that leaves out the keys its
// class defaults reads them as transformers does (GPTNeoXConfig: gelu,
// rotary_pct 0.25, parallel residual), not as the generic defaults.
func TestClassDefaults(t *testing.T) {
	raw := map[string]any{"model_type": "gpt_neox", "hidden_size": 64, "intermediate_size": 256,
		"num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100}
	data, _ := json.Marshal(raw)
	c, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Activation != "gelu" || !c.ParallelResidual || c.Rope[0].PartialFactor != 0.25 || c.NormEps != 1e-5 {
		t.Errorf("activation %q, parallel residual %v, partial rotary %v, eps %v; want gelu, true, 0.25, 1e-5",
			c.Activation, c.ParallelResidual, c.Rope[0].PartialFactor, c.NormEps)
	}
	// What a config says wins.
	raw["use_parallel_residual"], raw["rotary_pct"] = false, 1.0
	data, _ = json.Marshal(raw)
	if c, err = ParseConfig(data); err != nil || c.ParallelResidual || c.Rope[0].PartialFactor != 1 {
		t.Errorf("explicit keys not honoured: %+v %v", c, err)
	}
}

// TestGemmaClassDefaults: a Gemma 2 or Gemma 3 config.json that leaves out
// what Gemma2Config / Gemma3TextConfig default reads those defaults
// (query_pre_attn_scalar 256, soft-capping 50/30 for Gemma 2, a 4096
// window, Gemma 3's five sliding layers per global one and rope_theta 1e6),
// not a score scale of 1/sqrt(0) and full attention everywhere.
func TestGemmaClassDefaults(t *testing.T) {
	sizes := func(mt string) map[string]any {
		return map[string]any{"model_type": mt, "hidden_size": 64, "intermediate_size": 128,
			"num_hidden_layers": 6, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 100}
	}
	data, _ := json.Marshal(sizes("gemma2"))
	c, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.QueryPreAttnScalar != 256 || c.AttnSoftcap != 50 || c.FinalSoftcap != 30 || c.Window[0] != 4096 || c.Window[1] != 0 {
		t.Errorf("gemma2: query_pre_attn_scalar %v, soft-caps %v/%v, windows %v; want 256, 50/30, [4096 0 ...]",
			c.QueryPreAttnScalar, c.AttnSoftcap, c.FinalSoftcap, c.Window)
	}
	data, _ = json.Marshal(sizes("gemma3_text"))
	if c, err = ParseConfig(data); err != nil {
		t.Fatal(err)
	}
	want := []int{4096, 4096, 4096, 4096, 4096, 0}
	if c.QueryPreAttnScalar != 256 || c.AttnSoftcap != 0 || c.FinalSoftcap != 0 || !slices.Equal(c.Window, want) ||
		c.Rope[5].Theta != 1e6 || c.Rope[0].Theta != 10000 {
		t.Errorf("gemma3_text: query_pre_attn_scalar %v, soft-caps %v/%v, windows %v, rope theta %v/%v; want 256, 0/0, %v, 10000/1e6",
			c.QueryPreAttnScalar, c.AttnSoftcap, c.FinalSoftcap, c.Window, c.Rope[0].Theta, c.Rope[5].Theta, want)
	}
}

// TestMistralClassDefaults: a Mistral config.json without sliding_window
// takes MistralConfig's 4096 (every layer slides), and an explicit null
// keeps full attention; Llama's has no window either way.
func TestMistralClassDefaults(t *testing.T) {
	raw := map[string]any{"model_type": "mistral", "hidden_size": 64, "intermediate_size": 128,
		"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100}
	for _, c := range []struct {
		mt     string
		window any // nil: key absent
		want   int
	}{{"mistral", nil, 4096}, {"mistral", "null", 0}, {"mistral", 1024.0, 1024}, {"llama", nil, 0}} {
		raw["model_type"] = c.mt
		delete(raw, "sliding_window")
		if c.window == "null" {
			raw["sliding_window"] = nil
		} else if c.window != nil {
			raw["sliding_window"] = c.window
		}
		data, _ := json.Marshal(raw)
		cfg, err := ParseConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cfg.Window, []int{c.want, c.want}) {
			t.Errorf("%s with sliding_window %v: windows %v, want %d on every layer", c.mt, c.window, cfg.Window, c.want)
		}
	}
}

// TestNormAndRopeClassDefaults: MixtralConfig, Phi3Config and Olmo2Config
// default rms_norm_eps to 1e-5 (not LlamaConfig's 1e-6), and MixtralConfig
// rope_theta to 1e6; a config.json leaving them out reads those.
func TestNormAndRopeClassDefaults(t *testing.T) {
	for _, c := range []struct {
		mt         string
		eps, theta float64
	}{{"mixtral", 1e-5, 1e6}, {"phi3", 1e-5, 10000}, {"olmo2", 1e-5, 10000}, {"llama", 1e-6, 10000}} {
		raw := map[string]any{"model_type": c.mt, "hidden_size": 64, "intermediate_size": 128,
			"num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
			"num_local_experts": 4, "num_experts_per_tok": 2}
		data, _ := json.Marshal(raw)
		cfg, err := ParseConfig(data)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.NormEps != c.eps || cfg.Rope[0].Theta != c.theta {
			t.Errorf("%s: rms_norm_eps %v, rope_theta %v; want %v, %v", c.mt, cfg.NormEps, cfg.Rope[0].Theta, c.eps, c.theta)
		}
	}
}
