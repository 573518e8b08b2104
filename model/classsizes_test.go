package model

import (
	"encoding/json"
	"testing"
)

// TestClassShapeDefaults: a config.json that leaves out head_dim or
// num_key_value_heads gets the class's default, as transformers does, not
// hidden_size / heads and heads. The expected values were printed by
// transformers 5.2.0 (Gemma 4: 5.23.0's Gemma4TextConfig fields) from
//
//	CONFIG_MAPPING[mt].from_dict(dict(model_type=mt, hidden_size=4096, intermediate_size=128,
//	    num_hidden_layers=4, num_attention_heads=64, vocab_size=100))  # .head_dim, .num_key_value_heads
//
// (num_attention_heads 64 so that every default divides it.) Given keys win.
func TestClassShapeDefaults(t *testing.T) {
	for _, c := range []struct {
		mt          string
		headDim, kv int
	}{
		{"gemma2", 256, 4}, {"gemma3_text", 256, 4}, {"gemma4_text", 256, 4}, {"glm4", 128, 2}, {"glm4_moe", 64, 8},
		{"gpt_oss", 64, 8}, {"granite", 64, 64}, {"llama", 64, 64}, {"mistral", 64, 8}, {"llama4_text", 128, 8},
		{"ministral3", 128, 8}, {"mixtral", 64, 8}, {"qwen3_moe", 64, 4}, {"olmo3", 64, 64}, {"qwen2", 64, 32},
		{"qwen3", 128, 32}, {"smollm3", 64, 4}, {"cohere2", 64, 64},
		{"qwen3_next", 256, 2}, {"qwen3_5_text", 256, 4}, {"qwen3_5_moe_text", 256, 2},
	} {
		raw := map[string]any{"model_type": c.mt, "hidden_size": 4096, "intermediate_size": 128, "num_hidden_layers": 4,
			"num_attention_heads": 64, "vocab_size": 100, "num_local_experts": 4, "num_experts": 4, "num_experts_per_tok": 2,
			"moe_intermediate_size": 64}
		if c.mt == "gemma4_text" {
			raw["global_head_dim"] = 256 // keep every layer's shape the same for this check
		}
		data, _ := json.Marshal(raw)
		cfg, err := ParseConfig(data)
		if err != nil {
			t.Errorf("%s: %v", c.mt, err)
			continue
		}
		if cfg.HeadDim != c.headDim || cfg.KVHeads != c.kv {
			t.Errorf("%s: head_dim %d, num_key_value_heads %d; want %d, %d", c.mt, cfg.HeadDim, cfg.KVHeads, c.headDim, c.kv)
		}
		if cfg.fam.linearAttn {
			if d := cfg.DeltaNet; d.KeyHeads != 16 || d.ValueHeads != 32 || d.KeyDim != 128 || d.ValueDim != 128 || d.ConvKernel != 4 {
				t.Errorf("%s: Gated DeltaNet shapes %+v; want 16/32 heads of 128, kernel 4", c.mt, d)
			}
		}
		raw["head_dim"], raw["num_key_value_heads"] = 32, 16
		data, _ = json.Marshal(raw)
		if cfg, err = ParseConfig(data); err != nil || cfg.HeadDim != 32 || cfg.KVHeads != 16 {
			t.Errorf("%s: given head_dim / num_key_value_heads not honoured: %v", c.mt, err)
		}
	}
}
