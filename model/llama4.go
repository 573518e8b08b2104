package model

import "fmt"

// Llama 4 (Scout, Maverick), bare (llama4_text) or in
// Llama4ForConditionalGeneration (llama4): RoPE layers rotate interleaved
// pairs, attend within chunks of attention_chunk_size and L2-normalize q and
// k after RoPE (use_qk_norm); every no_rope_layer_interval-th layer is NoPE
// with full causal attention and queries scaled by the attention temperature
// (attn_temperature_tuning). MoE layers (moe_layers, or every
// interleave_moe_layer_step-th) route each token to its top-k experts by the
// sigmoid of the logit, which scales the expert's input, stored as 3-D
// [E][H][2I] / [E][I][H] tensors, plus a shared expert; the other layers'
// MLP has intermediate_size_mlp.
var llama4Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"llama4_text"}
	f.gate, f.up, f.down = "feed_forward.gate_proj", "feed_forward.up_proj", "feed_forward.down_proj"
	f.qkL2 = true
	f.router, f.routing = "feed_forward.router", sigmoidTopKRouting
	f.fusedGateUp, f.fusedDown, f.fusedInOut = "feed_forward.experts.gate_up_proj", "feed_forward.experts.down_proj", true
	// Split per expert, as a GGUF presents them.
	f.expert, f.expertGate, f.expertUp, f.expertDn = "feed_forward.experts.%d.", "gate_proj", "up_proj", "down_proj"
	f.shared = "feed_forward.shared_expert."
	f.config = llama4Config
	f.layerType = func(c *Config, _ *reader, i int) string {
		if c.NoRoPE[i] {
			return "full_attention"
		}
		return "chunked_attention"
	}
	// Llama4TextConfig's (head_dim 128 whatever hidden_size / heads is).
	f.classDefaults = map[string]any{"rope_theta": 5e5, "rms_norm_eps": 1e-5, "head_dim": 128.0,
		"attention_chunk_size": 8192.0, "num_local_experts": 16.0, "num_experts_per_tok": 1.0, "intermediate_size_mlp": 16384.0}
	return &f
}()

func llama4Config(c *Config, r *reader) (err error) {
	c.AttentionBias = false // Llama4TextConfig forces it
	c.RopeInterleaved = true
	if c.NoRoPE, err = noRoPELayers(c, r); err != nil {
		return err
	}
	c.NoQKNorm = !r.bool("use_qk_norm", true)
	// Published Llama 4 configs write attn_temperature_tuning as 4;
	// transformers only tests its truth.
	tuning := true
	switch v := c.raw["attn_temperature_tuning"].(type) {
	case bool:
		tuning = v
	case float64:
		tuning = v != 0
	case nil:
	default:
		return fmt.Errorf("attn_temperature_tuning: expected true, false or a number, got %v", v)
	}
	if tuning {
		c.TempScale, c.TempFloor = r.float("attn_scale", 0.1), r.float("floor_scale", 8192)
		if !(c.TempFloor > 0) || !(c.TempScale >= 0) {
			return fmt.Errorf("floor_scale %v must be positive and attn_scale %v non-negative", c.TempFloor, c.TempScale)
		}
	}
	c.ExpertIntermediate, c.Intermediate = c.Intermediate, r.int("intermediate_size_mlp", 16384)
	c.SharedIntermediate = c.ExpertIntermediate
	// Which layers are MoE, as the dense-layer list (moe_layers, or every
	// interleave_moe_layer_step-th layer).
	step := r.int("interleave_moe_layer_step", 1)
	if step <= 0 {
		return fmt.Errorf("interleave_moe_layer_step must be positive, got %d", step)
	}
	sparse := make([]bool, c.Layers)
	for l := range sparse {
		sparse[l] = (l+1)%step == 0
	}
	if list, ok := c.raw["moe_layers"]; ok && list != nil {
		clear(sparse)
		for _, l := range r.ints("moe_layers") {
			if l < 0 || l >= c.Layers {
				return fmt.Errorf("moe_layers names layer %d of %d", l, c.Layers)
			}
			sparse[l] = true
		}
	}
	c.DecoderSparseStep, c.MLPOnlyLayers = 1, nil
	for l, s := range sparse {
		if !s {
			c.MLPOnlyLayers = append(c.MLPOnlyLayers, l)
		}
	}
	return nil
}

func init() {
	register(llama4Family)
	wrapperText["llama4"] = "llama4_text" // Llama4ForConditionalGeneration
	// Llama4TextConfig's sizes, for the wrapper's text_config.
	textDefaults["llama4_text"] = map[string]any{"vocab_size": 202048.0, "hidden_size": 5120.0, "intermediate_size": 8192.0,
		"intermediate_size_mlp": 16384.0, "num_hidden_layers": 48.0, "num_attention_heads": 40.0, "num_key_value_heads": 8.0,
		"head_dim": 128.0, "max_position_embeddings": 131072.0, "rms_norm_eps": 1e-5, "rope_theta": 5e5}
}
