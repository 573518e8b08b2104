package model

import (
	"math"
	"strings"
	"testing"
)

const ropeBase = `"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 32768`

// TestYarnParameters: the derived YaRN parameters are transformers': the
// attention factor from factor alone, from mscale / mscale_all_dim, or as
// given; the factor from the context ratio when absent; betas 32 / 1 by
// default; truncate read from the top-level dict only.
func TestYarnParameters(t *testing.T) {
	cases := []struct {
		name, rope         string
		factor, attn       float64
		betaFast, betaSlow float64
		truncate           bool
	}{
		{"defaults", `"rope_scaling": {"type": "yarn", "factor": 4.0, "original_max_position_embeddings": 4096}`,
			4, 0.1*math.Log(4) + 1, 32, 1, true},
		{"mscale", `"rope_parameters": {"rope_type": "yarn", "rope_theta": 1e6, "factor": 8.0, "original_max_position_embeddings": 4096, "mscale": 0.707, "mscale_all_dim": 1.0, "truncate": false, "beta_fast": 16, "beta_slow": 2}`,
			8, (0.1*0.707*math.Log(8) + 1) / (0.1*math.Log(8) + 1), 16, 2, false},
		{"only mscale", `"rope_scaling": {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 4096, "mscale": 0.707}`,
			8, 0.1*math.Log(8) + 1, 32, 1, true},
		{"given", `"rope_scaling": {"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 4096, "attention_factor": 1.25}`,
			8, 1.25, 32, 1, true},
		{"factor from context", `"rope_scaling": {"rope_type": "yarn", "original_max_position_embeddings": 4096}`,
			8, 0.1*math.Log(8) + 1, 32, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(`{` + ropeBase + `, ` + c.rope + `}`))
			if err != nil {
				t.Fatal(err)
			}
			r := cfg.Rope[0]
			if r.Type != "yarn" || r.Factor != c.factor || math.Abs(r.AttentionFactor-c.attn) > 1e-15 ||
				r.BetaFast != c.betaFast || r.BetaSlow != c.betaSlow || r.Truncate != c.truncate {
				t.Errorf("got %+v", r)
			}
		})
	}
}

// TestYarnTruncateOnlyTopLevel: transformers reads truncate from the
// top-level rope_parameters, so a per-layer-type dict's truncate false is
// not seen (the ramp is truncated).
func TestYarnTruncateOnlyTopLevel(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{` + ropeBase + `, "layer_types": ["full_attention", "sliding_attention"], "sliding_window": 8,
		"rope_parameters": {"full_attention": {"rope_type": "yarn", "rope_theta": 1e4, "factor": 4.0, "original_max_position_embeddings": 4096, "truncate": false},
		"sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Rope[0].Truncate || cfg.Rope[1].Type != "default" {
		t.Errorf("got %+v / %+v", cfg.Rope[0], cfg.Rope[1])
	}
}

func TestScaledRopeErrors(t *testing.T) {
	for _, c := range []struct{ rope, want string }{
		{`"rope_scaling": {"type": "dynamic"}`, "rope type dynamic needs a positive factor"},
		{`"rope_scaling": {"type": "yarn", "factor": -2.0}`, "rope type yarn needs a positive factor"},
		{`"rope_scaling": {"type": "yarn", "factor": 2.0, "mscale": 1, "mscale_all_dim": -100}`, "attention factor"},
		{`"rope_scaling": {"type": "yarn", "factor": 2.0, "truncate": "no"}`, "truncate: expected true or false"},
	} {
		_, err := ParseConfig([]byte(`{` + ropeBase + `, ` + c.rope + `}`))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.rope, err, c.want)
		}
	}
}

// TestDynamicBase: below max_position_embeddings dynamic NTK is the default
// RoPE; past it the base is theta·(factor·len/max − (factor−1))^(d/(d−2)).
func TestDynamicBase(t *testing.T) {
	rc := RopeConfig{Type: "dynamic", Theta: 10000, PartialFactor: 1, Factor: 2, MaxPositions: 32}
	r := newRope(rc, 16)
	_, _ = r.table(0, 32)
	def := newRope(RopeConfig{Type: "default", Theta: 10000, PartialFactor: 1}, 16)
	c1, _ := r.table(0, 32)
	c2, _ := def.table(0, 32)
	for i := range c1 {
		if c1[i] != c2[i] {
			t.Fatalf("at 32 tokens dynamic differs from default at %d", i)
		}
	}
	inv := dynamicFrequencies(rc, 16, 48)
	base := 10000 * math.Pow(2*48.0/32-1, 16.0/14)
	for i, f := range inv {
		want := math.Pow(base, -float64(2*i)/16)
		if math.Abs(float64(f)-want)/want > 1e-6 {
			t.Errorf("frequency %d: %g, want %g", i, f, want)
		}
	}
}
