package gguf

import (
	"fmt"
	"regexp"
	"strconv"
)

// Gemma 4 as llama.cpp's converter (Gemma4Model, on Gemma3Model) writes it:
// the text model only, norms as they are (Gemma 4's norm_shift is 0), the
// layer scalar as layer_output_scale, the per-layer-embedding tensors under
// Gemma 3n's names, the MoE block's router as ffn_gate_inp (its scale as
// ffn_gate_inp.scale, the per-expert scale as ffn_down_exps.scale) and its
// experts as ffn_gate_up_exps / ffn_down_exps in transformers' own layout.
// The metadata carries what differs between sliding and global layers
// (key_length vs key_length_swa, a per-layer head_count_kv, rope.freq_base
// vs rope.freq_base_swa), the sliding pattern per layer, the KV-shared
// layers, a per-layer feed_forward_length when KV-shared layers are twice as
// wide, and the global layers' "proportional" RoPE as a rope_freqs tensor
// (1 on the rotated frequencies, 1e30 on the others). RoPE is NEOX-style, so
// nothing is permuted.

var gemma4Arch = &arch{modelType: "gemma4_text", class: "Gemma4ForCausalLM", layer: "model.layers.%d.",
	top: map[string]string{"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head",
		"per_layer_token_embd": "model.embed_tokens_per_layer", "per_layer_model_proj": "model.per_layer_model_projection",
		"per_layer_proj_norm": "model.per_layer_projection_norm"},
	block: with(gemmaBlock, "layer_output_scale", "layer_scalar",
		"pre_ffw_norm_2", "pre_feedforward_layernorm_2", "post_ffw_norm_1", "post_feedforward_layernorm_1",
		"post_ffw_norm_2", "post_feedforward_layernorm_2",
		"inp_gate", "per_layer_input_gate", "proj", "per_layer_projection", "post_norm", "post_per_layer_input_norm",
		"ffn_gate_inp", "router.proj", "ffn_gate_up_exps", "experts.gate_up_proj", "ffn_down_exps", "experts.down_proj"),
	bare:       map[string]bool{"layer_output_scale": true, "ffn_gate_up_exps": true, "ffn_down_exps": true},
	ownExperts: true}

func init() { archs["gemma4"] = gemma4Arch }

var gemma4ScaleName = regexp.MustCompile(`^blk\.(\d+)\.(ffn_gate_inp|ffn_down_exps)\.scale$`)

// gemma4Scale maps the router's two scale vectors, written with a .scale
// suffix.
func (a *arch) gemma4Scale(name string) (string, bool) {
	if a != gemma4Arch {
		return "", false
	}
	b := gemma4ScaleName.FindStringSubmatch(name)
	if b == nil {
		return "", false
	}
	l, err := strconv.Atoi(b[1])
	if err != nil || l > 1<<16 {
		return "", false
	}
	role := map[string]string{"ffn_gate_inp": "router.scale", "ffn_down_exps": "router.per_expert_scale"}[b[2]]
	return fmt.Sprintf(a.layer, l) + role, true
}

// gemma4Config writes Gemma4TextConfig's keys from what Gemma4Model wrote.
func (m *Model) gemma4Config(c map[string]any, key func(string) string, layers, heads int) error {
	g := m.file
	c["hidden_activation"] = "gelu_pytorch_tanh"
	pattern, ok := g.Value(key("attention.sliding_window_pattern"))
	if !ok {
		return fmt.Errorf("metadata %s is missing: Gemma 4 says per layer which layers slide", key("attention.sliding_window_pattern"))
	}
	types, err := layerTypes(pattern, layers, key("attention.sliding_window_pattern"))
	if err != nil {
		return err
	}
	c["layer_types"] = types
	window, err := g.intKey(key("attention.sliding_window"), 0)
	if err != nil {
		return err
	}
	if window > 0 {
		c["sliding_window"] = window
	}
	firstSliding, firstFull := -1, -1
	for i, t := range types {
		if t == "sliding_attention" && firstSliding < 0 {
			firstSliding = i
		}
		if t == "full_attention" && firstFull < 0 {
			firstFull = i
		}
	}
	// Head dims: key_length is the global layers', key_length_swa the
	// sliding ones'.
	global, err := g.intKey(key("attention.key_length"), 0)
	if err != nil {
		return err
	}
	local, err := g.intKey(key("attention.key_length_swa"), global)
	if err != nil {
		return err
	}
	if global <= 0 || local <= 0 {
		return fmt.Errorf("metadata %s is missing", key("attention.key_length"))
	}
	c["head_dim"], c["global_head_dim"] = local, global
	// kv heads: one value, or one per layer (global layers' own count).
	if v, ok := g.Value(key("attention.head_count_kv")); ok && v.Type == TypeArray {
		kv, err := perLayerInts(v, layers, key("attention.head_count_kv"))
		if err != nil {
			return err
		}
		if firstSliding >= 0 {
			c["num_key_value_heads"] = kv[firstSliding]
		}
		if firstFull >= 0 {
			c["num_global_key_value_heads"] = kv[firstFull]
		}
	}
	// feed_forward_length: one value, or per layer (double-wide shared layers).
	if v, ok := g.Value(key("feed_forward_length")); ok && v.Type == TypeArray {
		ff, err := perLayerInts(v, layers, key("feed_forward_length"))
		if err != nil {
			return err
		}
		c["intermediate_size"] = ff[0]
		c["use_double_wide_mlp"] = ff[layers-1] == 2*ff[0] && ff[0] > 0
	}
	shared, err := g.intKey(key("attention.shared_kv_layers"), 0)
	if err != nil {
		return err
	}
	c["num_kv_shared_layers"] = shared
	// k_eq_v: the global layers that write a cache have no attn_v.
	if firstFull >= 0 && firstFull < layers-shared {
		c["attention_k_eq_v"] = !m.has(fmt.Sprintf("blk.%d.attn_v.weight", firstFull))
	}
	if v, ok, err := g.floatKey(key("final_logit_softcapping")); err != nil {
		return err
	} else if ok && v > 0 {
		c["final_logit_softcapping"] = v
	}
	// Per-layer embeddings.
	ple, err := g.intKey(key("embedding_length_per_layer_input"), 0)
	if err != nil {
		return err
	}
	c["hidden_size_per_layer_input"] = ple
	if t, ok := g.Tensor("per_layer_token_embd.weight"); ok && len(t.Dims) == 2 {
		c["vocab_size_per_layer_input"] = t.Dims[1]
	}
	// RoPE: the sliding layers' base and rotary dims; the global layers'
	// base and, from rope_freqs, how many frequencies rotate.
	full, _, err := g.floatKey(key("rope.freq_base"))
	if err != nil {
		return err
	}
	slide, ok, err := g.floatKey(key("rope.freq_base_swa"))
	if err != nil {
		return err
	}
	if !ok {
		slide = 10000
	}
	sl := map[string]any{"rope_type": "default", "rope_theta": slide}
	if rd, err := g.intKey(key("rope.dimension_count_swa"), local); err != nil {
		return err
	} else if rd != local {
		sl["partial_rotary_factor"] = float64(rd) / float64(local)
	}
	fl := map[string]any{"rope_type": "proportional", "rope_theta": full, "partial_rotary_factor": 1.0}
	if f, ok, err := m.factors("rope_freqs.weight"); err != nil {
		return err
	} else if ok {
		if len(f) != global/2 {
			return fmt.Errorf("tensor rope_freqs.weight has %d factors, expected %d (half the global head dim)", len(f), global/2)
		}
		rot := 0
		for _, x := range f {
			if x == 1 {
				rot++
			} else if x < 1e29 {
				return fmt.Errorf("tensor rope_freqs.weight: factor %v is neither 1 (rotated) nor 1e30 (not rotated)", x)
			}
		}
		fl["partial_rotary_factor"] = float64(2*rot) / float64(global)
	}
	c["rope_parameters"] = map[string]any{"full_attention": fl, "sliding_attention": sl}
	delete(c, "rope_theta")
	delete(c, "partial_rotary_factor")
	delete(c, "rotary_pct")
	// The MoE block beside the dense MLP.
	if n, err := g.intKey(key("expert_count"), 0); err != nil {
		return err
	} else if n > 0 {
		c["enable_moe_block"], c["num_experts"] = true, n
		used, err := g.intKey(key("expert_used_count"), 0)
		if err != nil {
			return err
		}
		ff, err := g.intKey(key("expert_feed_forward_length"), 0)
		if err != nil {
			return err
		}
		if used <= 0 || ff <= 0 {
			return fmt.Errorf("metadata %s and %s are needed with %s", key("expert_used_count"), key("expert_feed_forward_length"), key("expert_count"))
		}
		c["top_k_experts"], c["moe_intermediate_size"] = used, ff
	}
	return nil
}

// perLayerInts reads a per-layer integer array of n entries.
func perLayerInts(v Value, n int, key string) ([]int, error) {
	xs, ok := v.Ints()
	if !ok || len(xs) != n {
		return nil, fmt.Errorf("metadata %s = %v: expected one integer per layer (%d)", key, v, n)
	}
	out := make([]int, n)
	for i, x := range xs {
		if x < 0 || x > 1<<30 {
			return nil, fmt.Errorf("metadata %s[%d] = %d is out of range", key, i, x)
		}
		out[i] = int(x)
	}
	return out, nil
}
