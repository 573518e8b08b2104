package model

// Llama and Mistral share one layout: pre-norm RMSNorm blocks, separate q/k/v
// projections (bias when attention_bias), SwiGLU MLP. SmolLM, DeepSeek-R1
// distills of Llama, TinyLlama and Mistral's dense models load as these.
var llamaFamily = &family{
	modelTypes: []string{"llama"},
	embed:      "model.embed_tokens",
	finalNorm:  "model.norm",
	lmHead:     "lm_head",
	layer:      "model.layers.%d.",
	norm:       rmsNorm,
	attnNorm:   "input_layernorm",
	preMLPNorm: "post_attention_layernorm",
	q:          "self_attn.q_proj",
	k:          "self_attn.k_proj",
	v:          "self_attn.v_proj",
	o:          "self_attn.o_proj",
	gate:       "mlp.gate_proj",
	up:         "mlp.up_proj",
	down:       "mlp.down_proj",
}

// mistralFamily is the Llama layout under MistralConfig, whose
// sliding_window defaults to 4096 (LlamaConfig has none).
var mistralFamily = func() *family {
	f := *llamaFamily
	f.modelTypes = []string{"mistral"}
	f.classDefaults = map[string]any{"sliding_window": 4096.0}
	return &f
}()

func init() {
	register(llamaFamily)
	register(mistralFamily)
}
