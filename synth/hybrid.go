package synth

import "fmt"

// Hybrid is the linear-attention part of a hybrid model's shape (Qwen 3.5):
// every Interval-th layer is full attention (gated output, q/k norms,
// partial rotary), the others Gated DeltaNet.
type Hybrid struct {
	Interval                     int
	KeyHeads, ValueHeads         int
	KeyDim, ValueDim, ConvKernel int
	PartialRotary                float64
}

func init() {
	// Qwen3.5-27B's text model (its model card: 64 layers, 3 DeltaNet : 1
	// full attention, 24 query / 4 kv heads of 256, hidden 5120, MLP 17408,
	// vocab 248320; the DeltaNet heads, 16 key / 48 value heads of 128, are
	// assumed from the family's published shapes), as a bare
	// Qwen3_5ForCausalLM.
	presets["qwen3.5-27b"] = Preset{ModelType: "qwen3_5_text", Architecture: "Qwen3_5ForCausalLM",
		Hidden: 5120, Intermediate: 17408, Layers: 64, Heads: 24, KVHeads: 4, HeadDim: 256, Vocab: 248320,
		RopeTheta: 1e7, NormEps: 1e-6, MaxPositions: 262144,
		Hybrid: &Hybrid{Interval: 4, KeyHeads: 16, ValueHeads: 48, KeyDim: 128, ValueDim: 128, ConvKernel: 4, PartialRotary: 0.25}}
	// qwen3.5-small: the same layout at a size for tests.
	presets["qwen3.5-small"] = Preset{ModelType: "qwen3_5_text", Architecture: "Qwen3_5ForCausalLM",
		Hidden: 128, Intermediate: 256, Layers: 4, Heads: 4, KVHeads: 2, HeadDim: 64, Vocab: 512,
		RopeTheta: 1e7, NormEps: 1e-6, MaxPositions: 4096,
		Hybrid: &Hybrid{Interval: 4, KeyHeads: 2, ValueHeads: 4, KeyDim: 32, ValueDim: 32, ConvKernel: 4, PartialRotary: 0.25}}
}

func (h *Hybrid) linear(l int) bool { return (l+1)%h.Interval != 0 }

// config adds the hybrid keys to config.json.
func (h *Hybrid) config(cfg map[string]any, layers int) {
	types := make([]string, layers)
	for l := range types {
		types[l] = "full_attention"
		if h.linear(l) {
			types[l] = "linear_attention"
		}
	}
	cfg["layer_types"] = types
	cfg["full_attention_interval"] = h.Interval
	cfg["linear_num_key_heads"] = h.KeyHeads
	cfg["linear_num_value_heads"] = h.ValueHeads
	cfg["linear_key_head_dim"] = h.KeyDim
	cfg["linear_value_head_dim"] = h.ValueDim
	cfg["linear_conv_kernel_dim"] = h.ConvKernel
	cfg["partial_rotary_factor"] = h.PartialRotary
}

// hybridTensors lists a hybrid preset's tensors in Qwen 3.5's naming.
func (p Preset) hybridTensors(std float64) []tensorSpec {
	h := p.Hybrid
	q, kv := p.Heads*p.HeadDim, p.KVHeads*p.HeadDim
	conv, vd := 2*h.KeyHeads*h.KeyDim+h.ValueHeads*h.ValueDim, h.ValueHeads*h.ValueDim
	ts := []tensorSpec{{name: "model.embed_tokens.weight", shape: []int{p.Vocab, p.Hidden}, std: std}}
	for l := 0; l < p.Layers; l++ {
		pre := fmt.Sprintf("model.layers.%d.", l)
		ts = append(ts, tensorSpec{name: pre + "input_layernorm.weight", shape: []int{p.Hidden}, std: std})
		if h.linear(l) {
			la := pre + "linear_attn."
			ts = append(ts,
				tensorSpec{name: la + "in_proj_qkv.weight", shape: []int{conv, p.Hidden}, std: std},
				tensorSpec{name: la + "in_proj_z.weight", shape: []int{vd, p.Hidden}, std: std},
				tensorSpec{name: la + "in_proj_b.weight", shape: []int{h.ValueHeads, p.Hidden}, std: std},
				tensorSpec{name: la + "in_proj_a.weight", shape: []int{h.ValueHeads, p.Hidden}, std: std},
				tensorSpec{name: la + "conv1d.weight", shape: []int{conv, 1, h.ConvKernel}, std: 0.3},
				tensorSpec{name: la + "A_log", shape: []int{h.ValueHeads}, std: std},
				tensorSpec{name: la + "dt_bias", shape: []int{h.ValueHeads}, std: std},
				tensorSpec{name: la + "norm.weight", shape: []int{h.ValueDim}, ones: true},
				tensorSpec{name: la + "out_proj.weight", shape: []int{p.Hidden, vd}, std: std})
		} else {
			ts = append(ts,
				tensorSpec{name: pre + "self_attn.q_proj.weight", shape: []int{2 * q, p.Hidden}, std: std},
				tensorSpec{name: pre + "self_attn.k_proj.weight", shape: []int{kv, p.Hidden}, std: std},
				tensorSpec{name: pre + "self_attn.v_proj.weight", shape: []int{kv, p.Hidden}, std: std},
				tensorSpec{name: pre + "self_attn.o_proj.weight", shape: []int{p.Hidden, q}, std: std},
				tensorSpec{name: pre + "self_attn.q_norm.weight", shape: []int{p.HeadDim}, std: std},
				tensorSpec{name: pre + "self_attn.k_norm.weight", shape: []int{p.HeadDim}, std: std})
		}
		ts = append(ts,
			tensorSpec{name: pre + "post_attention_layernorm.weight", shape: []int{p.Hidden}, std: std},
			tensorSpec{name: pre + "mlp.gate_proj.weight", shape: []int{p.Intermediate, p.Hidden}, std: std},
			tensorSpec{name: pre + "mlp.up_proj.weight", shape: []int{p.Intermediate, p.Hidden}, std: std},
			tensorSpec{name: pre + "mlp.down_proj.weight", shape: []int{p.Hidden, p.Intermediate}, std: std})
	}
	ts = append(ts, tensorSpec{name: "model.norm.weight", shape: []int{p.Hidden}, std: std})
	if !p.Tie {
		ts = append(ts, tensorSpec{name: "lm_head.weight", shape: []int{p.Vocab, p.Hidden}, std: std})
	}
	return ts
}
