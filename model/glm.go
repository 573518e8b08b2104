package model

import "fmt"

// GLM-4 (-0414): the Llama layout with norms before and after both
// sub-blocks (post_self_attn_layernorm on the attention output,
// post_mlp_layernorm on the MLP's), fused gate_up_proj, q/k/v biases but
// none on o_proj, and RoPE on the first half of each head (partial rotary
// 0.5) rotating interleaved pairs (2i, 2i+1).
var glm4Family = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"glm4"}
	f.postAttnNorm, f.preMLPNorm, f.postMLPNorm = "post_self_attn_layernorm", "post_attention_layernorm", "post_mlp_layernorm"
	f.gate, f.up = "", ""
	f.gateUp = "mlp.gate_up_proj"
	f.biasDefault, f.oNoBias = true, true
	f.config = func(c *Config, _ *reader) error {
		c.RopeInterleaved = true
		return nil
	}
	// Glm4Config's (head_dim 128 whatever hidden_size / heads is).
	f.classDefaults = map[string]any{"partial_rotary_factor": 0.5, "rms_norm_eps": 1.5625e-7, "head_dim": 128.0}
	return &f
}()

// GLM-4.5 / 4.6 (and -Air): Llama-style pre-norm blocks, optional per-head
// q/k RMSNorm (use_qk_norm), partial rotary 0.5 in rotate_half pairs, dense
// MLPs on the first first_k_dense_replace layers, then a DeepSeek-V3 MoE:
// sigmoid scores, top-k chosen on score + e_score_correction_bias within the
// topk_group best of n_group groups, weighed by the scores (renormalized when
// norm_topk_prob) times routed_scaling_factor, plus n_shared_experts shared
// experts as one MLP.
var glm4MoEFamily = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"glm4_moe"}
	f.qNorm, f.kNorm = "self_attn.q_norm", "self_attn.k_norm"
	f.oNoBias = true
	f.router, f.routerBias, f.routing = "mlp.gate", "mlp.gate.e_score_correction_bias", sigmoidBiasRouting
	f.expert = "mlp.experts.%d."
	f.expertGate, f.expertUp, f.expertDn = "gate_proj", "up_proj", "down_proj"
	f.shared = "mlp.shared_experts."
	f.normTopKDefault = true
	f.config = glm4MoEConfig
	// Glm4MoeConfig's.
	f.classDefaults = map[string]any{"partial_rotary_factor": 0.5, "rms_norm_eps": 1e-5}
	return &f
}()

func glm4MoEConfig(c *Config, r *reader) error {
	c.Experts = r.int("n_routed_experts", 128)
	c.NoQKNorm = !r.bool("use_qk_norm", false)
	c.SharedIntermediate = c.ExpertIntermediate * r.int("n_shared_experts", 1)
	c.RoutedScale = r.float("routed_scaling_factor", 1)
	c.Groups, c.TopKGroups = r.int("n_group", 1), r.int("topk_group", 1)
	if c.Groups < 1 || c.Experts%c.Groups != 0 || c.Experts/c.Groups < 2 && c.Groups > 1 || c.TopKGroups < 1 || c.TopKGroups > c.Groups {
		return fmt.Errorf("n_group %d / topk_group %d do not split %d experts into groups of at least 2", c.Groups, c.TopKGroups, c.Experts)
	}
	if !(c.RoutedScale > 0) {
		return fmt.Errorf("routed_scaling_factor must be positive, got %v", c.RoutedScale)
	}
	dense := r.int("first_k_dense_replace", 1)
	c.MLPOnlyLayers = nil
	for l := 0; l < min(max(dense, 0), c.Layers); l++ {
		c.MLPOnlyLayers = append(c.MLPOnlyLayers, l)
	}
	return nil
}

func init() {
	register(glm4Family)
	register(glm4MoEFamily)
	// Glm4Config's and Glm4MoeConfig's sizes, for a wrapper's text_config.
	textDefaults["glm4"] = map[string]any{"vocab_size": 151552.0, "hidden_size": 4096.0, "intermediate_size": 13696.0,
		"num_hidden_layers": 40.0, "num_attention_heads": 32.0, "num_key_value_heads": 2.0, "head_dim": 128.0,
		"max_position_embeddings": 131072.0, "rms_norm_eps": 1.5625e-7}
	textDefaults["glm4_moe"] = map[string]any{"vocab_size": 151552.0, "hidden_size": 4096.0, "intermediate_size": 10944.0,
		"num_hidden_layers": 46.0, "num_attention_heads": 96.0, "num_key_value_heads": 8.0,
		"max_position_embeddings": 131072.0, "rms_norm_eps": 1e-5, "moe_intermediate_size": 1408.0,
		"n_routed_experts": 128.0, "num_experts_per_tok": 8.0}
}
