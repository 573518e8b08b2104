package gguf

// arch says how one llama.cpp architecture maps back to its Hugging Face
// layout: the model_type, the tensor names, and what llama.cpp's converter
// (convert_hf_to_gguf.py) changed that must be undone.
type arch struct {
	modelType, class string
	layer            string            // printf pattern of a layer's prefix
	top              map[string]string // GGUF name (without .weight/.bias) -> HF name
	block            map[string]string // GGUF role within blk.N -> HF role
	// permuteQK: the converter reordered attn_q/attn_k rows from the
	// rotate-half layout to llama.cpp's interleaved one (LlamaModel.permute).
	permuteQK bool
	// normShift: the converter stored norm weights as 1 + w (Gemma).
	normShift bool
	// neoxQKV: the converter split GPT-NeoX's per-head fused qkv into
	// [q; k; v] blocks.
	neoxQKV bool
	// experts: GGUF roles of the converter's merged expert tensors
	// ([E][rows][cols]) -> the Hugging Face role of one expert (%d: its
	// index); each expert is read as its own slice of the file.
	experts map[string]string
	// bare: GGUF roles whose Hugging Face name has no .weight/.bias suffix.
	bare map[string]bool
	// deltaNet: Qwen3-Next / Qwen 3.5 linear-attention tensors (qwen35.go);
	// tiledV: their value heads were reordered to tiled order.
	deltaNet, tiledV bool
	// ownExperts: the expert tensors are read under their own names
	// (gpt-oss's rebuilt, Gemma 4's as they are), not through experts.
	ownExperts bool
}

var llamaTop = map[string]string{"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}

// llamaBlock is the Llama layout's roles; the others adjust it.
var llamaBlock = map[string]string{
	"attn_norm":   "input_layernorm",
	"attn_q":      "self_attn.q_proj",
	"attn_k":      "self_attn.k_proj",
	"attn_v":      "self_attn.v_proj",
	"attn_output": "self_attn.o_proj",
	"attn_q_norm": "self_attn.q_norm",
	"attn_k_norm": "self_attn.k_norm",
	"ffn_norm":    "post_attention_layernorm",
	"ffn_gate":    "mlp.gate_proj",
	"ffn_up":      "mlp.up_proj",
	"ffn_down":    "mlp.down_proj",
}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(m, kv[i])
		} else {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

var gemmaBlock = with(llamaBlock,
	"ffn_norm", "pre_feedforward_layernorm",
	"post_attention_norm", "post_attention_layernorm",
	"post_ffw_norm", "post_feedforward_layernorm")

var archs = map[string]*arch{
	"llama": {modelType: "llama", class: "LlamaForCausalLM", layer: "model.layers.%d.", top: llamaTop, block: llamaBlock, permuteQK: true},
	"qwen2": {modelType: "qwen2", class: "Qwen2ForCausalLM", layer: "model.layers.%d.", top: llamaTop, block: llamaBlock},
	"qwen3": {modelType: "qwen3", class: "Qwen3ForCausalLM", layer: "model.layers.%d.", top: llamaTop, block: llamaBlock},
	"gemma2": {modelType: "gemma2", class: "Gemma2ForCausalLM", layer: "model.layers.%d.", top: llamaTop, block: gemmaBlock,
		normShift: true},
	"gemma3": {modelType: "gemma3_text", class: "Gemma3ForCausalLM", layer: "model.layers.%d.", top: llamaTop, block: gemmaBlock,
		normShift: true},
	"phi3": {modelType: "phi3", class: "Phi3ForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(llamaBlock, "attn_qkv", "self_attn.qkv_proj", "ffn_up", "mlp.gate_up_proj", "ffn_gate", "")},
	"olmo2": {modelType: "olmo2", class: "Olmo2ForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(llamaBlock, "attn_norm", "", "ffn_norm", "",
			"post_attention_norm", "post_attention_layernorm", "post_ffw_norm", "post_feedforward_layernorm")},
	"gptneox": {modelType: "gpt_neox", class: "GPTNeoXForCausalLM", layer: "gpt_neox.layers.%d.",
		top: map[string]string{"token_embd": "gpt_neox.embed_in", "output_norm": "gpt_neox.final_layer_norm", "output": "embed_out"},
		block: map[string]string{
			"attn_norm":   "input_layernorm",
			"attn_qkv":    "attention.query_key_value",
			"attn_output": "attention.dense",
			"ffn_norm":    "post_attention_layernorm",
			"ffn_up":      "mlp.dense_h_to_4h",
			"ffn_down":    "mlp.dense_4h_to_h",
		},
		neoxQKV: true},
	// The 2025-26 families (docs/MODELS.md). SmolLM3 and Granite go
	// through LlamaModel's converter (q/k rows permuted); GLM-4 and Cohere 2
	// rotate adjacent pairs in both libraries, so nothing is permuted. OLMo 3
	// is written as olmo2 with a sliding-window pattern (archConfig).
	"smollm3": {modelType: "smollm3", class: "SmolLM3ForCausalLM", layer: "model.layers.%d.", top: llamaTop, block: llamaBlock,
		permuteQK: true},
	"granite": {modelType: "granite", class: "GraniteForCausalLM", layer: "model.layers.%d.", top: llamaTop, block: llamaBlock,
		permuteQK: true},
	"glm4": {modelType: "glm4", class: "Glm4ForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(llamaBlock, "post_attention_norm", "post_self_attn_layernorm", "ffn_norm", "post_attention_layernorm",
			"post_ffw_norm", "post_mlp_layernorm", "ffn_up", "mlp.gate_up_proj", "ffn_gate", "")},
	"cohere2": {modelType: "cohere2", class: "Cohere2ForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(llamaBlock, "ffn_norm", "")},
	// GLM-4.5: the converter merges each layer's experts into
	// ffn_{gate,up,down}_exps, names the correction bias exp_probs_b.bias
	// and appends the MTP layer(s) as extra blocks (never read).
	"glm4moe": {modelType: "glm4_moe", class: "Glm4MoeForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(llamaBlock, "ffn_gate_inp", "mlp.gate", "exp_probs_b", "mlp.gate.e_score_correction_bias",
			"ffn_gate_shexp", "mlp.shared_experts.gate_proj", "ffn_up_shexp", "mlp.shared_experts.up_proj",
			"ffn_down_shexp", "mlp.shared_experts.down_proj"),
		experts: map[string]string{"ffn_gate_exps": "mlp.experts.%d.gate_proj", "ffn_up_exps": "mlp.experts.%d.up_proj",
			"ffn_down_exps": "mlp.experts.%d.down_proj"},
		bare: map[string]bool{"exp_probs_b": true}},
	// Granite MoE and Llama 4: the converter splits the 3-D gate/up tensor
	// into ffn_gate_exps and ffn_up_exps ([E][I][H]; Llama 4's transposed to
	// that) and writes down as [E][H][I]: each expert reads as the split
	// per-expert layout the families also accept.
	"granitemoe": {modelType: "granitemoe", class: "GraniteMoeForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(llamaBlock, "ffn_gate_inp", "block_sparse_moe.router.layer"), permuteQK: true,
		experts: splitExperts("block_sparse_moe.experts.%d.")},
	"llama4": {modelType: "llama4_text", class: "Llama4ForCausalLM", layer: "model.layers.%d.", top: llamaTop,
		block: with(llamaBlock, "ffn_gate", "feed_forward.gate_proj", "ffn_up", "feed_forward.up_proj",
			"ffn_down", "feed_forward.down_proj", "ffn_gate_inp", "feed_forward.router",
			"ffn_gate_shexp", "feed_forward.shared_expert.gate_proj", "ffn_up_shexp", "feed_forward.shared_expert.up_proj",
			"ffn_down_shexp", "feed_forward.shared_expert.down_proj"),
		experts: splitExperts("feed_forward.experts.%d.")},
}

// splitExperts maps the merged expert tensors to per-expert projections
// under prefix (with %d for the expert).
func splitExperts(prefix string) map[string]string {
	return map[string]string{"ffn_gate_exps": prefix + "gate_proj", "ffn_up_exps": prefix + "up_proj", "ffn_down_exps": prefix + "down_proj"}
}

func archNames() []string {
	return []string{"cohere2", "gemma2", "gemma3", "gemma4", "glm4", "glm4moe", "gpt-oss", "gptneox", "granite", "granitemoe", "llama", "llama4",
		"olmo2", "phi3", "qwen2", "qwen3", "qwen35", "qwen35moe", "qwen3next", "smollm3"}
}
