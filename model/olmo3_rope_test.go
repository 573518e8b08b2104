package model

import "testing"

// TestOlmo3ScaledRopeOnFullLayersOnly: OLMo 3 applies its RoPE scaling
// (the long-context releases' YaRN, written as rope_scaling) to the
// full-attention layers only; the sliding layers keep plain RoPE of
// rope_theta. This is OLMo-core's model, what transformers 5.23 computes
// (Olmo3Config.convert_rope_params_to_dict, per-layer-type rotary; 5.0-5.2
// scaled every layer, a regression fixed by transformers PR 45945), and
// what llama.cpp and vLLM do:
//
//	Olmo3Config.from_dict(dict(model_type="olmo3", ..., rope_theta=5e5, rope_scaling={"rope_type": "yarn",
//	    "factor": 8.0, "original_max_position_embeddings": 8192, "attention_factor": 1.2079441541679836,
//	    "beta_fast": 32, "beta_slow": 1})).rope_parameters
//	# {'sliding_attention': {'rope_type': 'default', 'rope_theta': 500000.0},
//	#  'full_attention': {'rope_type': 'yarn', ..., 'rope_theta': 500000.0}}
//
// A single rope_parameters dict (as transformers 5.0-5.2 saved it) is read
// the same way; a per-layer-type one says what each type uses.
func TestOlmo3ScaledRopeOnFullLayersOnly(t *testing.T) {
	const yarn = `"rope_type": "yarn", "factor": 8.0, "original_max_position_embeddings": 8192, "attention_factor": 1.2079441541679836, "beta_fast": 32, "beta_slow": 1`
	for _, c := range []struct{ name, rope string }{
		{"rope_scaling", `"rope_theta": 5e5, "rope_scaling": {` + yarn + `}`},
		{"one rope_parameters", `"rope_parameters": {"rope_theta": 5e5, ` + yarn + `}`},
		{"per layer type", `"rope_parameters": {"full_attention": {"rope_theta": 5e5, ` + yarn + `}, "sliding_attention": {"rope_type": "default", "rope_theta": 5e5}}`},
	} {
		cfg, err := ParseConfig(minimal("olmo3", `"max_position_embeddings": 65536, `+c.rope))
		if err != nil {
			t.Fatal(err)
		}
		for l, r := range cfg.Rope {
			full := cfg.Window[l] == 0
			if full != ((l+1)%4 == 0) {
				t.Fatalf("%s: layer %d full %v", c.name, l, full)
			}
			if full && (r.Type != "yarn" || r.Factor != 8 || r.Theta != 5e5 || r.AttentionFactor != 1.2079441541679836) ||
				!full && (r.Type != "default" || r.Theta != 5e5 || r.Factor != 0 || r.AttentionFactor != 0) {
				t.Errorf("%s: layer %d (full %v): %+v", c.name, l, full, r)
			}
		}
	}
}
