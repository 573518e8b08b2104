package gguf

import (
	"fmt"
	"strconv"
)

// expertSlice is one expert's matrix inside a merged [E][rows][cols] expert
// tensor: the experts are stored one after the other, each a whole number
// of rows (and so of quantization blocks), so one expert reads as a tensor
// of its own at an offset.
type expertSlice struct {
	info TensorInfo
}

// addExperts registers the per-expert Hugging Face names of t when t is one
// of the architecture's merged expert tensors (ok false otherwise).
func (m *Model) addExperts(t TensorInfo) (ok bool, err error) {
	b := blockName.FindStringSubmatch(t.Name)
	if b == nil || b[3] != "weight" {
		return false, nil
	}
	pattern, ok := m.arch.experts[b[2]]
	if !ok {
		return false, nil
	}
	l, err := strconv.Atoi(b[1])
	if err != nil || l > 1<<16 {
		return false, nil
	}
	if !t.Type.Supported() {
		return true, fmt.Errorf("tensor %s has type %s, which qfilters cannot dequantize (supported: %s)", t.Name, t.Type, supportedList())
	}
	if len(t.Dims) != 3 || t.Dims[2] <= 0 || t.Size%int64(t.Dims[2]) != 0 {
		return true, fmt.Errorf("tensor %s has dimensions %v: expected [cols, rows, experts] that split into equal experts", t.Name, t.Dims)
	}
	n := t.Dims[2]
	per := t.Size / int64(n)
	for e := 0; e < n; e++ {
		hf := fmt.Sprintf(m.arch.layer, l) + fmt.Sprintf(pattern, e) + ".weight"
		sub := TensorInfo{Name: fmt.Sprintf("%s[%d]", t.Name, e), Dims: t.Dims[:2], Type: t.Type,
			Offset: t.Offset + int64(e)*per, Size: per}
		m.slices[hf] = expertSlice{info: sub}
		m.names = append(m.names, hf)
	}
	return true, nil
}

// glm4MoEConfig reads what llama.cpp's converter writes for GLM-4.5: the
// routed and shared experts, the leading dense layers and the routing
// (sigmoid gating, renormalization, scale); hfConfig leaves out the MTP
// layers it appends to the blocks. llama.cpp routes without expert groups
// (GLM-4.5 has one).
func (m *Model) glm4MoEConfig(c map[string]any, key func(string) string) error {
	g := m.file
	ints := []struct{ gguf, hf string }{{"expert_count", "n_routed_experts"}, {"expert_used_count", "num_experts_per_tok"},
		{"expert_feed_forward_length", "moe_intermediate_size"}, {"expert_shared_count", "n_shared_experts"},
		{"leading_dense_block_count", "first_k_dense_replace"}}
	for _, k := range ints {
		v, err := g.intKey(key(k.gguf), -1)
		if err != nil {
			return err
		}
		if v < 0 {
			return fmt.Errorf("metadata %s is missing", key(k.gguf))
		}
		c[k.hf] = v
	}
	if f, err := g.intKey(key("expert_gating_func"), 2); err != nil {
		return err
	} else if f != 2 {
		return fmt.Errorf("metadata %s = %d: GLM-4.5 routes by sigmoid (2)", key("expert_gating_func"), f)
	}
	c["routed_scaling_factor"] = 1.0
	if v, ok, err := g.floatKey(key("expert_weights_scale")); err != nil {
		return err
	} else if ok {
		c["routed_scaling_factor"] = v
	}
	c["norm_topk_prob"] = false
	if v, ok := g.Value(key("expert_weights_norm")); ok {
		b, ok := v.Bool()
		if !ok {
			return fmt.Errorf("metadata %s is %v, not true or false", key("expert_weights_norm"), v)
		}
		c["norm_topk_prob"] = b
	}
	c["n_group"], c["topk_group"] = 1, 1
	c["use_qk_norm"] = m.has("blk.0.attn_q_norm.weight")
	return nil
}

// moeCounts reads the expert count and the experts used per token.
func (m *Model) moeCounts(c map[string]any, key func(string) string, countKey string) error {
	for _, k := range []struct{ gguf, hf string }{{"expert_count", countKey}, {"expert_used_count", "num_experts_per_tok"}} {
		v, err := m.file.intKey(key(k.gguf), -1)
		if err != nil {
			return err
		}
		if v <= 0 {
			return fmt.Errorf("metadata %s is missing", key(k.gguf))
		}
		c[k.hf] = v
	}
	return nil
}

// llama4Config rebuilds Llama4TextConfig as llama.cpp reads a llama4 file:
// feed_forward_length is the dense layers' MLP and
// expert_feed_forward_length the experts'; the rest llama.cpp fixes for
// Scout and Maverick: chunks of 8192 on three layers in four, the fourth
// NoPE with the attention temperature (scale 0.1, floor 8192), L2 q/k norm
// unless there are 128 experts. A file with sliding_window 0 is the variant
// without chunks or NoPE layers.
func (m *Model) llama4Config(c map[string]any, key func(string) string, layers int) error {
	g := m.file
	if err := m.moeCounts(c, key, "num_local_experts"); err != nil {
		return err
	}
	ffExp, err := g.intKey(key("expert_feed_forward_length"), -1)
	if err != nil {
		return err
	}
	if ffExp <= 0 {
		return fmt.Errorf("metadata %s is missing", key("expert_feed_forward_length"))
	}
	c["intermediate_size_mlp"], c["intermediate_size"] = c["intermediate_size"], ffExp
	step, err := g.intKey(key("interleave_moe_layer_step"), 1)
	if err != nil {
		return err
	}
	c["interleave_moe_layer_step"] = step
	c["use_qk_norm"] = c["num_local_experts"] != 128
	c["attn_temperature_tuning"], c["attn_scale"], c["floor_scale"] = true, 0.1, 8192
	c["attention_chunk_size"], c["no_rope_layer_interval"] = 8192, 4
	if w, ok := g.kv[key("attention.sliding_window")]; ok {
		if n, _ := w.Int(); n == 0 {
			c["layer_types"] = repeat("full_attention", layers)
			rope := make([]int, layers)
			for i := range rope {
				rope[i] = 1
			}
			c["no_rope_layers"] = rope
		}
	}
	return nil
}
