package synth

import "fmt"

// gpt-oss presets: the published checkpoints' shapes, experts in MXFP4
// (*_blocks / *_scales as U8) like openai/gpt-oss-20b and -120b.
func gptOss(layers, experts int) Preset {
	types := make([]string, layers)
	for i := range types {
		types[i] = "full_attention"
		if i%2 == 0 {
			types[i] = "sliding_attention"
		}
	}
	return Preset{ModelType: "gpt_oss", Architecture: "GptOssForCausalLM",
		Hidden: 2880, Intermediate: 2880, Layers: layers, Heads: 64, KVHeads: 8, HeadDim: 64, Vocab: 201088,
		RopeTheta: 150000, NormEps: 1e-5, MaxPositions: 131072, QKVBias: true,
		RopeScaling: map[string]any{"rope_type": "yarn", "factor": 32.0, "beta_fast": 32.0, "beta_slow": 1.0,
			"truncate": false, "original_max_position_embeddings": 4096},
		Experts: experts,
		Extra: map[string]any{"num_local_experts": experts, "num_experts_per_tok": 4, "experts_per_token": 4,
			"sliding_window": 128, "layer_types": types, "attention_bias": true, "swiglu_limit": 7.0,
			"quantization_config": map[string]any{"quant_method": "mxfp4", "modules_to_not_convert": []string{
				"model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"}}},
	}
}

// gptOssLayer lists one gpt-oss layer's tensors past the norms and q/k/v/o
// weights and biases: the sinks, the router and the MXFP4 experts. Scales
// 118..121 give weights of magnitude ~0.01-0.1, like the published ones.
func (p Preset) gptOssLayer(pre string) []tensorSpec {
	const std = 0.02
	e, h, in := p.Experts, p.Hidden, p.Intermediate
	ts := []tensorSpec{
		{name: pre + "self_attn.o_proj.bias", shape: []int{h}, std: std},
		{name: pre + "self_attn.sinks", shape: []int{p.Heads}, std: 1},
		{name: pre + "mlp.router.weight", shape: []int{e, h}, std: std},
		{name: pre + "mlp.router.bias", shape: []int{e}, std: std},
	}
	for _, x := range []struct {
		name      string
		rows, dim int
	}{{"gate_up_proj", 2 * in, h}, {"down_proj", h, in}} {
		n := pre + "mlp.experts." + x.name
		ts = append(ts,
			tensorSpec{name: n + "_blocks", shape: []int{e, x.rows, x.dim / 32, 16}, bytes: [2]byte{0, 255}},
			tensorSpec{name: n + "_scales", shape: []int{e, x.rows, x.dim / 32}, bytes: [2]byte{118, 121}},
			tensorSpec{name: n + "_bias", shape: []int{e, x.rows}, std: std})
	}
	if h%32 != 0 || in%32 != 0 {
		panic(fmt.Sprintf("synth: MXFP4 needs sizes divisible by 32 (%d, %d)", h, in))
	}
	return ts
}
