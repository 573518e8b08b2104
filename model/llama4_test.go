package model

import (
	"encoding/json"
	"testing"
)

// TestLlama4PublishedConfig: the text_config of Llama 4 Scout as published
// (attn_temperature_tuning 4, empty no_rope_layers, llama3 scaling with
// equal frequency factors, every layer MoE) reads as transformers reads it:
// every fourth layer NoPE with full attention and the temperature, the
// others chunked by 8192 with L2 q/k norm.
func TestLlama4PublishedConfig(t *testing.T) {
	text := map[string]any{"model_type": "llama4_text", "attention_chunk_size": 8192, "attn_scale": 0.1,
		"attn_temperature_tuning": 4, "floor_scale": 8192, "head_dim": 128, "hidden_size": 5120,
		"interleave_moe_layer_step": 1, "intermediate_size": 8192, "intermediate_size_mlp": 16384,
		"max_position_embeddings": 10485760, "no_rope_layers": []any{}, "num_attention_heads": 40,
		"num_experts_per_tok": 1, "num_hidden_layers": 48, "num_key_value_heads": 8, "num_local_experts": 16,
		"rms_norm_eps": 1e-5, "rope_scaling": map[string]any{"factor": 16.0, "high_freq_factor": 1.0,
			"low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
		"rope_theta": 500000.0, "use_qk_norm": true, "vocab_size": 202048}
	data, _ := json.Marshal(map[string]any{"model_type": "llama4", "architectures": []string{"Llama4ForConditionalGeneration"},
		"text_config": text})
	c, err := ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Wrapper != "llama4" || c.ModelType != "llama4_text" || c.TempScale != 0.1 || c.TempFloor != 8192 || c.NoQKNorm {
		t.Fatalf("wrapper %q type %q temperature %v/%v no-qk-norm %v", c.Wrapper, c.ModelType, c.TempScale, c.TempFloor, c.NoQKNorm)
	}
	for l := 0; l < c.Layers; l++ {
		nope := (l+1)%4 == 0
		if c.NoRoPE[l] != nope || (c.Chunk[l] == 0) != nope || (!nope && c.Chunk[l] != 8192) || !c.isMoELayer(l) {
			t.Fatalf("layer %d: NoPE %v chunk %d MoE %v", l, c.NoRoPE[l], c.Chunk[l], c.isMoELayer(l))
		}
	}
	if c.Intermediate != 16384 || c.ExpertIntermediate != 8192 || c.SharedIntermediate != 8192 {
		t.Errorf("intermediate sizes %d / %d / %d", c.Intermediate, c.ExpertIntermediate, c.SharedIntermediate)
	}
	text["attn_temperature_tuning"] = false
	data, _ = json.Marshal(map[string]any{"model_type": "llama4", "text_config": text})
	if c, err = ParseConfig(data); err != nil {
		t.Fatal(err)
	}
	if c.TempScale != 0 {
		t.Errorf("attn_temperature_tuning false: temperature %v, want none", c.TempScale)
	}
}
