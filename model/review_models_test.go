package model

import (
	"math"
	"testing"
)

// The tests of this file check what the tiny goldens cannot: the class
// defaults of a config that leaves keys out, and config keys that change
// the computation only at real sizes. The expected values were read off
// transformers 5.2.0 (5.23.0 for Gemma 4) on the CPU, with snippets like
//
//	from transformers import LlamaConfig
//	from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
//	sf = [1.0] * 8
//	c = LlamaConfig(hidden_size=64, num_attention_heads=4, max_position_embeddings=131072,
//	                original_max_position_embeddings=4096,
//	                rope_scaling=dict(rope_type="longrope", short_factor=sf, long_factor=sf, factor=2.0))
//	print(ROPE_INIT_FUNCTIONS["longrope"](c, None)[1])  # 1.0408329997330663

// TestLongropeExplicitFactor: transformers 5 takes rope_parameters' factor
// when it is given, even with original_max_position_embeddings at the top
// level (it only derives max/original when factor is absent), so the
// attention factor is sqrt(1 + ln(factor)/ln(original)).
func TestLongropeExplicitFactor(t *testing.T) {
	const sizes = `"model_type": "phi3", "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 128,
		"vocab_size": 100, "max_position_embeddings": 131072, "original_max_position_embeddings": 4096`
	const factors = `"short_factor": [1, 1, 1, 1, 1, 1, 1, 1], "long_factor": [1, 1, 1, 1, 1, 1, 1, 1]`
	for _, c := range []struct {
		name, rope   string
		factor, attn float64
	}{
		{"explicit", `"rope_scaling": {"type": "longrope", "factor": 2.0, ` + factors + `}`, 2, 1.0408329997330663},
		{"derived", `"rope_scaling": {"type": "longrope", ` + factors + `}`, 32, math.Sqrt(1 + math.Log(32)/math.Log(4096))},
	} {
		cfg, err := ParseConfig([]byte(`{` + sizes + `, ` + c.rope + `}`))
		if err != nil {
			t.Fatal(err)
		}
		r := cfg.Rope[0]
		if r.Factor != c.factor || math.Abs(r.AttentionFactor-c.attn) > 1e-12 || r.OriginalMaxPositions != 4096 {
			t.Errorf("%s: factor %v, attention factor %v, original %d; want %v, %v, 4096", c.name, r.Factor, r.AttentionFactor,
				r.OriginalMaxPositions, c.factor, c.attn)
		}
	}
}

// minimal is a config.json of the given model_type with only the sizes
// transformers cannot do without.
func minimal(mt, extra string) []byte {
	s := `{"model_type": "` + mt + `", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 8, "num_attention_heads": 4, "vocab_size": 100`
	if extra != "" {
		s += ", " + extra
	}
	return []byte(s + "}")
}

// TestNoRoPELayersLonger: Llama4TextConfig documents no_rope_layers as a
// list "with at least the same length as the number of layers", and the
// attention reads no_rope_layers[layer_idx] (SmolLM3 likewise): a longer
// list is valid and its first entries count; a shorter one is refused.
func TestNoRoPELayersLonger(t *testing.T) {
	for _, mt := range []string{"llama4_text", "smollm3"} {
		cfg, err := ParseConfig(minimal(mt, `"num_key_value_heads": 2, "head_dim": 16, "no_rope_layers": [1, 0, 1, 1, 1, 1, 1, 0, 0, 0]`))
		if err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		want := []bool{false, true, false, false, false, false, false, true}
		for l, w := range want {
			if cfg.isNoPE(l) != w {
				t.Errorf("%s: layer %d NoPE %v, want %v", mt, l, cfg.isNoPE(l), w)
			}
		}
		if _, err := ParseConfig(minimal(mt, `"no_rope_layers": [1, 0, 1]`)); err == nil {
			t.Errorf("%s: a no_rope_layers shorter than the layers was accepted", mt)
		}
	}
}
