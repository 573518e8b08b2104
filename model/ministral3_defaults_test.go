package model

import (
	"testing"
)

// TestMinistral3DefaultRope: Ministral3Config's rope_parameters default
// is YaRN (factor 16 over 16384 positions, theta 1e6, mscale 1/1) with
// llama_4_scaling_beta 0.1, not the plain RoPE of theta 10000.
//
//	Ministral3Config.from_dict(dict(model_type="ministral3", hidden_size=64, ...)).rope_parameters
func TestMinistral3DefaultRope(t *testing.T) {
	cfg, err := ParseConfig(minimal("ministral3", `"num_key_value_heads": 2, "head_dim": 16`))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Rope[0]
	if r.Type != "yarn" || r.Theta != 1e6 || r.Factor != 16 || r.OriginalMaxPositions != 16384 || r.Llama4Beta != 0.1 ||
		r.AttentionFactor != 1 || r.BetaFast != 32 || r.BetaSlow != 1 {
		t.Errorf("got %+v; want yarn, theta 1e6, factor 16, original 16384, beta 0.1, attention factor 1", r)
	}
	// A top-level rope_theta does not change the class's dict (setdefault);
	// given rope parameters replace it, in either layout.
	for _, c := range []struct {
		extra, typ string
		theta      float64
	}{
		{`"rope_theta": 5e5`, "yarn", 1e6},
		{`"rope_parameters": {"rope_type": "default", "rope_theta": 5e5}`, "default", 5e5},
		{`"rope_theta": 5e5, "rope_scaling": {"rope_type": "linear", "factor": 2.0}`, "linear", 5e5},
	} {
		cfg, err := ParseConfig(minimal("ministral3", `"num_key_value_heads": 2, "head_dim": 16, `+c.extra))
		if err != nil {
			t.Fatal(err)
		}
		if r := cfg.Rope[0]; r.Type != c.typ || r.Theta != c.theta || (c.typ != "yarn") != (r.Llama4Beta == 0) {
			t.Errorf("%s: got %+v; want %s with theta %v", c.extra, r, c.typ, c.theta)
		}
	}
}
